"""Which budget holds a reservation reclaims, and why: one decision for every backend.

A hold is reclaimed when its worker is gone or its time is up (see :mod:`.budget_ledger` for what
reclaiming costs and how a late settle undoes it); :func:`plan_reclaim` decides, the backend writes.

A worker is gone when it is unknown, marked exited, or silent past its heartbeat deadline and known not
to run any more. Only a worker on this box can be looked at (its pid); a silent worker of another box
(several gateway boxes sharing one PostgreSQL store) is taken for gone by its stale heartbeat alone.
Reclaiming a paused worker's hold early costs no money: the hold is charged at its amount, and the
worker's late settle replaces that charge (see :mod:`.budget_ledger`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ReclaimReason = Literal["worker-gone", "hold-expired"]

# Changes at every boot, so a rebooted box whose pids start over is another box.
_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class LastSeen:
    """What the store knows of a worker: its pid, whether it was marked exited, the time after which
    its silence counts (last beat + its own dead-after), and whether it ran on this box."""

    pid: int
    exited: bool
    beat_deadline: float
    on_this_box: bool


def worker_gone(seen: LastSeen | None, now: float, exists: Callable[[int], bool]) -> bool:
    """Whether the worker ``seen`` (None: unknown to the store) can no longer settle what it holds.
    ``exists`` says whether a pid of this box is still a process."""
    if seen is None or seen.exited:
        return True
    if seen.beat_deadline >= now:
        return False
    return not exists(seen.pid) if seen.on_this_box else True


def this_box() -> str:
    """This machine's identity in heartbeat rows: host name and boot id (host name alone without one)."""
    try:
        boot = _BOOT_ID.read_text().strip()
    except OSError:
        boot = ""
    host = socket.gethostname()
    return f"{host}/{boot}" if boot else host


@dataclass(frozen=True)
class ReclaimedHold:
    """A hold charged at its full amount because its worker can no longer settle it (or it expired)."""

    provider: str
    month: str
    amount_usd: float
    worker_id: int
    reason: ReclaimReason


@dataclass(frozen=True)
class HoldCandidate:
    """A live hold that may need reclaiming, and what the store knows of its worker (None: nothing)."""

    hold_id: int
    provider: str
    month: str
    amount_usd: float
    worker_id: int
    expires_at: float
    worker: LastSeen | None


@dataclass(frozen=True)
class ReclaimPlan:
    """What to write: each reclaimed hold (by id) with its charge, and the silent workers now known
    gone (to mark exited, for ``status`` too)."""

    holds: tuple[tuple[int, ReclaimedHold], ...] = ()
    workers_gone: tuple[int, ...] = ()


def plan_reclaim(
    candidates: Iterable[HoldCandidate], now: float, exists: Callable[[int], bool]
) -> ReclaimPlan:
    """Reclaim the holds whose worker is gone or whose time is up; a silent worker that is still
    there (paused or busy) keeps the rest. ``exists`` is asked at most once per worker."""
    holds: list[tuple[int, ReclaimedHold]] = []
    gone: dict[int, bool] = {}
    newly_gone: list[int] = []
    for hold in candidates:
        if hold.worker_id not in gone:
            gone[hold.worker_id] = worker_gone(hold.worker, now, exists)
            if hold.worker is not None and not hold.worker.exited and gone[hold.worker_id]:
                newly_gone.append(hold.worker_id)
        if gone[hold.worker_id]:
            reason: ReclaimReason = "worker-gone"
        elif hold.expires_at < now:
            reason = "hold-expired"
        else:
            continue
        holds.append(
            (hold.hold_id, ReclaimedHold(hold.provider, hold.month, hold.amount_usd, hold.worker_id, reason))
        )
    return ReclaimPlan(tuple(holds), tuple(newly_gone))
