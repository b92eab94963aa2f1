"""Monthly spend per provider, exact across workers: reserve before an attempt, settle after it.

A reservation holds an attempt's worst-case cost. :func:`reserve_spend` admits it only if settled
spend, every live reservation and this one fit the cap, checked and written in one ``BEGIN
IMMEDIATE`` transaction, so no number of workers can overspend. Reservations carry their worker
and an expiry; those of a worker that died (no heartbeat) or that outlived any attempt are
reclaimed by the next reservation of any worker. Months are UTC ``YYYY-MM`` keys chosen by the
caller; a new month is simply a new key, and old rows stay.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from coderouter_supervisor.state.connection import on_own_connection, write_transaction
from coderouter_supervisor.state.heartbeats import LIVE_WORKER_IDS


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


def _reclaim(conn: sqlite3.Connection, now: float) -> None:
    conn.execute(
        f"DELETE FROM budget_reservation WHERE expires_at < ? OR worker_id NOT IN ({LIVE_WORKER_IDS})",  # noqa: S608
        (now, now),
    )


def _totals(conn: sqlite3.Connection, provider: str, month: str) -> tuple[float, float]:
    spent = conn.execute(
        "SELECT spent_usd FROM budget_ledger WHERE provider = ? AND month = ?", (provider, month)
    ).fetchone()
    reserved = conn.execute(
        "SELECT COALESCE(SUM(amount_usd), 0) FROM budget_reservation WHERE provider = ? AND month = ?",
        (provider, month),
    ).fetchone()
    return (float(spent[0]) if spent else 0.0), float(reserved[0])


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
) -> int | None:
    """Hold ``amount_usd`` of ``provider``'s ``month`` for ``hold_s``; the reservation id, or None
    when it does not fit under ``cap_usd``."""

    def op(c: sqlite3.Connection) -> int | None:
        _reclaim(c, now)
        spent, reserved = _totals(c, provider, month)
        if spent + reserved + amount_usd > cap_usd:
            return None
        cursor = c.execute(
            "INSERT INTO budget_reservation (provider, month, amount_usd, worker_id, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (provider, month, amount_usd, worker_id, now + hold_s),
        )
        return int(cursor.lastrowid or 0)

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
    conn: sqlite3.Connection, reservation_id: int, provider: str, month: str, settlement: Settlement | None
) -> None:
    """Replace the reservation with what the attempt cost (None: it produced nothing to pay for).

    Spend is recorded even when the reservation was already reclaimed: what was spent was spent.
    """

    def op(c: sqlite3.Connection) -> None:
        c.execute("DELETE FROM budget_reservation WHERE id = ?", (reservation_id,))
        if settlement is not None:
            _add_spend(c, provider, month, settlement)

    write_transaction(conn, op)


def record_spend(conn: sqlite3.Connection, entries: Sequence[tuple[str, str, Settlement]]) -> None:
    """Add (ledger entry, month, settlement) rows that reserved nothing, in one transaction: spend
    of a provider with prices but no cap, usage of a client key without a budget."""

    def op(c: sqlite3.Connection) -> None:
        for provider, month, settlement in entries:
            _add_spend(c, provider, month, settlement)

    write_transaction(conn, op)


def ledger_month(
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
        " FROM budget_reservation WHERE month = ? GROUP BY provider",
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


def reset_month(conn: sqlite3.Connection, provider: str, month: str) -> LedgerEntry:
    """Clear ``provider``'s spend and reservations for ``month``; returns what was cleared."""

    def op(c: sqlite3.Connection) -> LedgerEntry:
        [before] = ledger_month(c, month, (provider,))
        c.execute("DELETE FROM budget_ledger WHERE provider = ? AND month = ?", (provider, month))
        c.execute("DELETE FROM budget_reservation WHERE provider = ? AND month = ?", (provider, month))
        return before

    return write_transaction(conn, op)


def read_ledger(path: Path, month: str, providers: tuple[str, ...] | None = None) -> list[LedgerEntry]:
    """:func:`ledger_month` on its own short connection (for the CLI)."""
    return on_own_connection(path, "read the budget ledger", lambda c: ledger_month(c, month, providers))


def reset_ledger(path: Path, provider: str, month: str) -> LedgerEntry:
    """:func:`reset_month` on its own short connection (for the CLI)."""
    return on_own_connection(path, "reset the budget ledger", lambda c: reset_month(c, provider, month))
