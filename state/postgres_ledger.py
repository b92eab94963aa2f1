"""Monthly spend on PostgreSQL: the rules of :mod:`.budget_ledger`, exact across every worker of every box.

A reservation checks settled spend plus live holds against the cap and inserts its hold in one
transaction holding the advisory lock of its (ledger entry, month), so reservations of one entry run
one at a time on every box. Spend and holds are read in one statement (one snapshot), so a reclaim or
settle committed meanwhile by a transaction without that lock is seen whole or not at all. Reclaiming
locks the candidate holds (``FOR UPDATE``, in id order): two reservations never charge one hold twice.
Which holds are reclaimed is :func:`~.hold_reclaim.plan_reclaim`, as on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from coderouter_supervisor.state.budget_ledger import (
    RECLAIMED_KEPT_S,
    Hold,
    HoldFate,
    LedgerEntry,
    Settled,
    Settlement,
)
from coderouter_supervisor.state.hold_reclaim import HoldCandidate, LastSeen, ReclaimedHold, plan_reclaim
from coderouter_supervisor.state.postgres_connection import advisory_lock

if TYPE_CHECKING:
    from coderouter_supervisor.state.postgres_connection import Connection

_RECLAIM_CANDIDATES = """
    SELECT r.id, r.provider, r.month, r.amount_usd, r.worker_id, r.expires_at,
           w.pid, w.exited_at IS NOT NULL, w.last_seen + w.dead_after_s, w.box
    FROM budget_reservation AS r LEFT JOIN worker_heartbeat AS w ON w.id = r.worker_id
    WHERE r.reclaimed_at IS NULL
      AND (r.expires_at < %s OR w.id IS NULL OR w.exited_at IS NOT NULL OR w.last_seen + w.dead_after_s < %s)
    ORDER BY r.id
    FOR UPDATE OF r
"""


def _reclaim(c: Connection, now: float, box: str, exists: Callable[[int], bool]) -> tuple[ReclaimedHold, ...]:
    rows = c.execute(_RECLAIM_CANDIDATES, (now, now)).fetchall()
    candidates = [
        HoldCandidate(
            int(row_id),
            str(provider),
            str(month),
            float(amount),
            int(worker_id),
            float(expires_at),
            None if pid is None else LastSeen(int(pid), bool(exited), float(deadline), worker_box == box),
        )
        for row_id, provider, month, amount, worker_id, expires_at, pid, exited, deadline, worker_box in rows
    ]
    plan = plan_reclaim(candidates, now, exists)
    if plan.workers_gone:
        c.execute(
            "UPDATE worker_heartbeat SET exited_at = %s WHERE id = ANY(%s)", (now, list(plan.workers_gone))
        )
    for hold_id, hold in plan.holds:
        add_spend(c, hold.provider, hold.month, Settlement(hold.amount_usd))
        c.execute("UPDATE budget_reservation SET reclaimed_at = %s WHERE id = %s", (now, hold_id))
    c.execute("DELETE FROM budget_reservation WHERE reclaimed_at < %s", (now - RECLAIMED_KEPT_S,))
    return tuple(hold for _, hold in plan.holds)


def _spent(c: Connection, provider: str, month: str) -> float:
    row = c.execute(
        "SELECT spent_usd FROM budget_ledger WHERE provider = %s AND month = %s", (provider, month)
    ).fetchone()
    return float(row[0]) if row else 0.0


# Settled spend plus live holds of one entry, in one statement: one snapshot of both tables.
_COMMITTED = """
    SELECT COALESCE((SELECT spent_usd FROM budget_ledger WHERE provider = %(p)s AND month = %(m)s), 0)
         + COALESCE((SELECT SUM(amount_usd) FROM budget_reservation
                     WHERE provider = %(p)s AND month = %(m)s AND reclaimed_at IS NULL), 0)
"""


def reserve_spend(
    conn: Connection,
    *,
    provider: str,
    month: str,
    amount_usd: float,
    cap_usd: float,
    worker_id: int,
    now: float,
    hold_s: float,
    box: str,
    exists: Callable[[int], bool],
) -> Hold:
    """Inside a transaction: :func:`.budget_ledger.reserve_spend` across boxes. ``box`` is this
    machine's identity; ``exists`` says whether a pid of this box is a process."""
    advisory_lock(conn, "ledger", provider, month)
    reclaimed = _reclaim(conn, now, box, exists)
    row = conn.execute(_COMMITTED, {"p": provider, "m": month}).fetchone()
    if row is None or float(row[0]) + amount_usd > cap_usd:
        return Hold(None, reclaimed)
    inserted = conn.execute(
        "INSERT INTO budget_reservation (provider, month, amount_usd, worker_id, expires_at)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (provider, month, amount_usd, worker_id, now + hold_s),
    ).fetchone()
    assert inserted is not None
    return Hold(int(inserted[0]), reclaimed)


def add_spend(c: Connection, provider: str, month: str, settlement: Settlement) -> None:
    c.execute(
        """
        INSERT INTO budget_ledger AS l (provider, month, spent_usd, input_tokens, output_tokens, requests)
        VALUES (%s, %s, %s, %s, %s, %s)
        ON CONFLICT (provider, month) DO UPDATE SET
            spent_usd = l.spent_usd + excluded.spent_usd,
            input_tokens = l.input_tokens + excluded.input_tokens,
            output_tokens = l.output_tokens + excluded.output_tokens,
            requests = l.requests + excluded.requests
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
    conn: Connection,
    reservation_id: int,
    provider: str,
    month: str,
    settlement: Settlement | None,
    *,
    retry: bool = False,
) -> Settled:
    """Inside a transaction: :func:`.budget_ledger.settle_spend`."""
    row = conn.execute(
        "DELETE FROM budget_reservation WHERE id = %s RETURNING amount_usd, reclaimed_at", (reservation_id,)
    ).fetchone()
    fate: HoldFate = "gone" if row is None else "held" if row[1] is None else "reclaimed"
    if fate == "gone" and retry:
        return Settled(_spent(conn, provider, month), fate)
    if row is not None and fate == "reclaimed":
        conn.execute(
            "UPDATE budget_ledger SET spent_usd = GREATEST(spent_usd - %s, 0),"
            " requests = GREATEST(requests - 1, 0)"
            " WHERE provider = %s AND month = %s",
            (float(row[0]), provider, month),
        )
    if settlement is not None:
        add_spend(conn, provider, month, settlement)
    return Settled(_spent(conn, provider, month), fate)


def record_spend(conn: Connection, entries: Sequence[tuple[str, str, Settlement]]) -> None:
    """Inside a transaction: :func:`.budget_ledger.record_spend`. Entries are written in key order, so
    two batches touching the same rows never deadlock."""
    for provider, month, settlement in sorted(entries, key=lambda e: (e[0], e[1])):
        add_spend(conn, provider, month, settlement)


def read_ledger(conn: Connection, month: str, providers: Sequence[str] | None = None) -> list[LedgerEntry]:
    """Every entry with spend or live holds in ``month`` (or exactly ``providers``), by name."""
    rows = conn.execute(
        """
        SELECT COALESCE(l.provider, h.provider), COALESCE(l.spent_usd, 0), COALESCE(h.reserved, 0),
               COALESCE(h.holds, 0), COALESCE(l.input_tokens, 0), COALESCE(l.output_tokens, 0),
               COALESCE(l.requests, 0)
        FROM (SELECT * FROM budget_ledger WHERE month = %(m)s) AS l
        FULL JOIN (SELECT provider, SUM(amount_usd) AS reserved, COUNT(*) AS holds FROM budget_reservation
                   WHERE month = %(m)s AND reclaimed_at IS NULL GROUP BY provider) AS h
          ON h.provider = l.provider
        """,
        {"m": month},
    ).fetchall()
    found = {
        str(name): LedgerEntry(
            str(name), month, float(spent), float(held), int(holds), int(i), int(o), int(n)
        )
        for name, spent, held, holds, i, o, n in rows
    }
    names = sorted(found) if providers is None else list(providers)
    return [found.get(name, LedgerEntry(name, month)) for name in names]


def reset_ledger(conn: Connection, provider: str, month: str) -> LedgerEntry:
    """Inside a transaction: :func:`.budget_ledger.reset_ledger`."""
    advisory_lock(conn, "ledger", provider, month)
    [before] = read_ledger(conn, month, (provider,))
    conn.execute("DELETE FROM budget_ledger WHERE provider = %s AND month = %s", (provider, month))
    conn.execute("DELETE FROM budget_reservation WHERE provider = %s AND month = %s", (provider, month))
    return before
