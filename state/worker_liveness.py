"""Whether a worker that held something is gone: one decision for every backend, and the box it ran on.

A worker is gone when it is unknown, marked exited, or silent past its heartbeat deadline and known not
to run any more. Only a worker on this box can be looked at (its pid); a silent worker of another box
(several gateway boxes sharing one PostgreSQL store) is taken for gone by its stale heartbeat alone.
Reclaiming a paused worker's hold early costs no money: the hold is charged at its amount, and the
worker's late settle replaces that charge (see :mod:`.budget_ledger`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
