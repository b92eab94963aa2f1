"""Monthly spend per provider, exact across workers: reserve before an attempt, settle after it.

A reservation holds an attempt's worst-case cost. :func:`reserve_spend` admits it only if settled
spend, every live reservation and this one fit the cap, checked and written in one ``BEGIN
IMMEDIATE`` transaction, so no number of workers can overspend. Client-key budgets are rows of the
same tables (``key:NAME``) and go through the same functions. Months are UTC ``YYYY-MM`` keys chosen
by the caller; a new month is simply a new key, and old rows stay.

A hold is reclaimed (by the next reservation of any worker) only when its worker is known to be gone
— the arbiter marked it exited, or its process no longer exists — or when the hold expires. A worker
that is slow or paused keeps its holds however stale its heartbeat: it may still settle them. A
reclaimed hold is not given back, because its request may have reached the upstream, which may have
billed it: it is charged at its full amount and kept, marked, for :data:`RECLAIMED_KEPT_S`. A settle
that arrives for a marked hold replaces that charge with the real cost; one whose row is gone (kept
past that, or cleared by ``budget reset``) is recorded all the same, even past the cap, and
:class:`Settled` tells the caller where spend stands so it can say so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from coderouter_supervisor.state.connection import write_transaction
from coderouter_supervisor.state.heartbeats import process_exists
from coderouter_supervisor.state.hold_reclaim import (
    HoldCandidate,
    LastSeen,
    ReclaimedHold,
    plan_reclaim,
)

# How long a reclaimed hold stays marked so that its worker's late settle replaces the charge. Only a
# worker that is alive can settle late, and one paused this long has been stopped on purpose.
RECLAIMED_KEPT_S = 7 * 24 * 3600.0

HoldFate = Literal["held", "reclaimed", "gone"]


@dataclass(frozen=True)
class LedgerEntry:
    """One provider's month: settled spend and what live reservations hold."""

    provider: str
    month: str
    spent_usd: float = 0.0
    reserved_usd: float = 0.0
    reservations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0


@dataclass(frozen=True)
class Settlement:
    """What one attempt (or, added up, ``requests`` of them) really cost."""

    cost_usd: float
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 1


@dataclass(frozen=True)
class Hold:
    """What :func:`reserve_spend` did: the reservation (None: it did not fit) and the holds of other
    attempts it reclaimed on the way, each an estimate the caller should report."""

    reservation_id: int | None
    reclaimed: tuple[ReclaimedHold, ...] = ()


@dataclass(frozen=True)
class Settled:
    """Where a ledger entry stands after a settle, and what had become of the settled hold: still
    ``held``, ``reclaimed`` (its charge was replaced) or ``gone`` (the cost was simply added)."""

    spent_usd: float
    hold: HoldFate


# Holds that may need reclaiming: expired, or of a worker that is marked exited, unknown, or silent
# past its heartbeat deadline (then only a look at its process can tell gone from paused).
_RECLAIM_CANDIDATES = """
    SELECT r.id, r.provider, r.month, r.amount_usd, r.worker_id, r.expires_at, w.pid, w.exited_at,
           w.last_seen + w.dead_after_s
    FROM budget_reservation AS r LEFT JOIN worker_heartbeat AS w ON w.id = r.worker_id
    WHERE r.reclaimed_at IS NULL
      AND (r.expires_at < ? OR w.id IS NULL OR w.exited_at IS NOT NULL OR w.last_seen + w.dead_after_s < ?)
"""


def _reclaim(c: sqlite3.Connection, now: float, exists: Callable[[int], bool]) -> tuple[ReclaimedHold, ...]:
    rows = c.execute(_RECLAIM_CANDIDATES, (now, now)).fetchall()
    candidates = [
        HoldCandidate(
            int(row_id),
            provider,
            month,
            float(amount),
            int(worker_id),
            float(expires_at),
            None if pid is None else LastSeen(int(pid), exited_at is not None, float(beat_deadline), True),
        )
        for row_id, provider, month, amount, worker_id, expires_at, pid, exited_at, beat_deadline in rows
    ]
    plan = plan_reclaim(candidates, now, exists)
    c.executemany(
        "UPDATE worker_heartbeat SET exited_at = ? WHERE id = ?", [(now, w) for w in plan.workers_gone]
    )
    for hold_id, hold in plan.holds:
        _add_spend(c, hold.provider, hold.month, Settlement(hold.amount_usd))
        c.execute("UPDATE budget_reservation SET reclaimed_at = ? WHERE id = ?", (now, hold_id))
    c.execute("DELETE FROM budget_reservation WHERE reclaimed_at < ?", (now - RECLAIMED_KEPT_S,))
    return tuple(hold for _, hold in plan.holds)


def _spent(c: sqlite3.Connection, provider: str, month: str) -> float:
    row = c.execute(
        "SELECT spent_usd FROM budget_ledger WHERE provider = ? AND month = ?", (provider, month)
    ).fetchone()
    return float(row[0]) if row else 0.0


def _totals(conn: sqlite3.Connection, provider: str, month: str) -> tuple[float, float]:
    reserved = conn.execute(
        "SELECT COALESCE(SUM(amount_usd), 0) FROM budget_reservation"
        " WHERE provider = ? AND month = ? AND reclaimed_at IS NULL",
        (provider, month),
    ).fetchone()
    return _spent(conn, provider, month), float(reserved[0])


def reserve_spend(
    conn: sqlite3.Connection,
    *,
    provider: str,
    month: str,
    amount_usd: float,
    cap_usd: float,
    worker_id: int,
    now: float,
    hold_s: float,
    exists: Callable[[int], bool] = process_exists,
) -> Hold:
    """Hold ``amount_usd`` of ``provider``'s ``month`` for ``hold_s``, if it fits under ``cap_usd``.

    First reclaims the holds whose worker is gone (``exists`` says whether a silent worker's pid is
    still a process) or whose time is up, charging each at its amount.
    """

    def op(c: sqlite3.Connection) -> Hold:
        reclaimed = _reclaim(c, now, exists)
        spent, reserved = _totals(c, provider, month)
        if spent + reserved + amount_usd > cap_usd:
            return Hold(None, reclaimed)
        cursor = c.execute(
            "INSERT INTO budget_reservation (provider, month, amount_usd, worker_id, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (provider, month, amount_usd, worker_id, now + hold_s),
        )
        return Hold(int(cursor.lastrowid or 0), reclaimed)

    return write_transaction(conn, op)


def _add_spend(c: sqlite3.Connection, provider: str, month: str, settlement: Settlement) -> None:
    c.execute(
        """
        INSERT INTO budget_ledger (provider, month, spent_usd, input_tokens, output_tokens, requests)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (provider, month) DO UPDATE SET
            spent_usd = spent_usd + excluded.spent_usd,
            input_tokens = input_tokens + excluded.input_tokens,
            output_tokens = output_tokens + excluded.output_tokens,
            requests = requests + excluded.requests
        """,
        (
            provider,
            month,
            max(settlement.cost_usd, 0.0),
            settlement.input_tokens,
            settlement.output_tokens,
            settlement.requests,
        ),
    )


def settle_spend(
    conn: sqlite3.Connection,
    reservation_id: int,
    provider: str,
    month: str,
    settlement: Settlement | None,
    *,
    retry: bool = False,
) -> Settled:
    """Replace the reservation with what the attempt cost (None: it produced nothing to pay for).

    A reclaimed reservation's charge is taken back first, so the attempt counts once. Spend is
    recorded even when the reservation is gone altogether: what was spent was spent; except on a
    ``retry``, where a reservation gone means the failed first settle landed after all.
    """

    def op(c: sqlite3.Connection) -> Settled:
        row = c.execute(
            "SELECT amount_usd, reclaimed_at FROM budget_reservation WHERE id = ?", (reservation_id,)
        ).fetchone()
        c.execute("DELETE FROM budget_reservation WHERE id = ?", (reservation_id,))
        fate: HoldFate = "gone" if row is None else "held" if row[1] is None else "reclaimed"
        if fate == "gone" and retry:
            return Settled(_spent(c, provider, month), fate)
        if fate == "reclaimed":
            c.execute(
                "UPDATE budget_ledger SET spent_usd = MAX(spent_usd - ?, 0), requests = MAX(requests - 1, 0)"
                " WHERE provider = ? AND month = ?",
                (float(row[0]), provider, month),
            )
        if settlement is not None:
            _add_spend(c, provider, month, settlement)
        return Settled(_spent(c, provider, month), fate)

    return write_transaction(conn, op)


def record_spend(conn: sqlite3.Connection, entries: Sequence[tuple[str, str, Settlement]]) -> None:
    """Add (ledger entry, month, settlement) rows that reserved nothing, in one transaction: spend
    of a provider with prices but no cap, usage of a client key without a budget."""

    def op(c: sqlite3.Connection) -> None:
        for provider, month, settlement in entries:
            _add_spend(c, provider, month, settlement)

    write_transaction(conn, op)


def read_ledger(
    conn: sqlite3.Connection, month: str, providers: tuple[str, ...] | None = None
) -> list[LedgerEntry]:
    """Every provider with spend or reservations in ``month`` (or exactly ``providers``), by name."""
    rows: dict[str, LedgerEntry] = {}
    for provider, spent, tokens_in, tokens_out, requests in conn.execute(
        "SELECT provider, spent_usd, input_tokens, output_tokens, requests"
        " FROM budget_ledger WHERE month = ?",
        (month,),
    ):
        rows[provider] = LedgerEntry(
            provider, month, float(spent), 0.0, 0, int(tokens_in), int(tokens_out), int(requests)
        )
    for provider, reserved, count in conn.execute(
        "SELECT provider, SUM(amount_usd), COUNT(*)"
        " FROM budget_reservation WHERE month = ? AND reclaimed_at IS NULL GROUP BY provider",
        (month,),
    ):
        base = rows.get(provider, LedgerEntry(provider, month))
        rows[provider] = LedgerEntry(
            provider,
            month,
            base.spent_usd,
            float(reserved),
            int(count),
            base.input_tokens,
            base.output_tokens,
            base.requests,
        )
    names = sorted(rows) if providers is None else list(providers)
    return [rows.get(name, LedgerEntry(name, month)) for name in names]


def reset_ledger(conn: sqlite3.Connection, provider: str, month: str) -> LedgerEntry:
    """Clear ``provider``'s spend and reservations for ``month``; returns what was cleared."""

    def op(c: sqlite3.Connection) -> LedgerEntry:
        [before] = read_ledger(c, month, (provider,))
        c.execute("DELETE FROM budget_ledger WHERE provider = ? AND month = ?", (provider, month))
        c.execute("DELETE FROM budget_reservation WHERE provider = ? AND month = ?", (provider, month))
        return before

    return write_transaction(conn, op)
