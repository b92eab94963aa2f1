"""Per-provider facts every worker must agree on: backend health, memory cooldowns, recent attempts.

Health changes are read-modify-write: :func:`update_health` runs the caller's pure transition on
the current row inside one ``BEGIN IMMEDIATE`` transaction, so two workers failing at once both
count. Observations arrive in batches and are pruned to the adaptive window as they are written,
so the table stays small whatever the traffic.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from coderouter_supervisor.state.budget_ledger import LedgerEntry, read_ledger
from coderouter_supervisor.state.connection import write_transaction


@dataclass(frozen=True)
class HealthRecord:
    provider: str
    state: str
    consecutive_failures: int
    changed_at: float


@dataclass(frozen=True)
class AttemptRecord:
    provider: str
    at: float
    latency_ms: float | None
    ok: bool


@dataclass(frozen=True)
class ProviderFacts:
    """One consistent read of everything routing needs about some providers."""

    health: dict[str, HealthRecord] = field(default_factory=dict)
    cooldown_until: dict[str, float] = field(default_factory=dict)
    ledger: dict[str, LedgerEntry] = field(default_factory=dict)
    attempts: tuple[AttemptRecord, ...] = ()


def _placeholders(names: Sequence[str]) -> str:
    return ", ".join("?" for _ in names)


# Adaptive statistics need the recent past, not every attempt of a busy minute.
ATTEMPTS_PER_PROVIDER = 100


def read_provider_facts(
    conn: sqlite3.Connection, providers: Sequence[str], *, month: str, attempts_since: float | None
) -> ProviderFacts:
    """Health, cooldowns and this month's ledger for ``providers``, and with ``attempts_since`` the
    latest :data:`ATTEMPTS_PER_PROVIDER` attempts of each since then (oldest first)."""
    names = tuple(dict.fromkeys(providers))
    if not names:
        return ProviderFacts()
    marks = _placeholders(names)
    conn.execute("BEGIN")  # one snapshot for every table
    try:
        health = {
            row[0]: HealthRecord(row[0], row[1], int(row[2]), float(row[3]))
            for row in conn.execute(
                f"SELECT provider, state, consecutive_failures, changed_at FROM backend_health "  # noqa: S608
                f"WHERE provider IN ({marks})",
                names,
            )
        }
        cooldowns = {
            row[0]: float(row[1])
            for row in conn.execute(
                f"SELECT provider, until FROM memory_cooldown WHERE provider IN ({marks})",  # noqa: S608
                names,
            )
        }
        ledger = {entry.provider: entry for entry in read_ledger(conn, month, names)}
        attempts: list[AttemptRecord] = []
        for name in names if attempts_since is not None else ():
            rows = conn.execute(
                "SELECT provider, at, latency_ms, ok FROM adaptive_observation"
                " WHERE provider = ? AND at >= ? ORDER BY at DESC LIMIT ?",
                (name, attempts_since, ATTEMPTS_PER_PROVIDER),
            ).fetchall()
            attempts += (
                AttemptRecord(row[0], float(row[1]), None if row[2] is None else float(row[2]), bool(row[3]))
                for row in reversed(rows)
            )
    finally:
        conn.execute("COMMIT")
    return ProviderFacts(health, cooldowns, ledger, tuple(attempts))


def update_health(
    conn: sqlite3.Connection, provider: str, transition: Callable[[HealthRecord | None], HealthRecord]
) -> tuple[HealthRecord | None, HealthRecord]:
    """Apply ``transition`` (pure, quick) to ``provider``'s current record and store the result."""

    def op(c: sqlite3.Connection) -> tuple[HealthRecord | None, HealthRecord]:
        row = c.execute(
            "SELECT provider, state, consecutive_failures, changed_at FROM backend_health WHERE provider = ?",
            (provider,),
        ).fetchone()
        old = HealthRecord(row[0], row[1], int(row[2]), float(row[3])) if row else None
        new = transition(old)
        if new != old:
            c.execute(
                """
                INSERT INTO backend_health (provider, state, consecutive_failures, changed_at)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (provider) DO UPDATE SET
                    state = excluded.state,
                    consecutive_failures = excluded.consecutive_failures,
                    changed_at = excluded.changed_at
                """,
                (provider, new.state, new.consecutive_failures, new.changed_at),
            )
        return old, new

    return write_transaction(conn, op)


def start_cooldown(conn: sqlite3.Connection, provider: str, until: float) -> float:
    """Cool ``provider`` down until at least ``until``; never shortens a longer cooldown. Returns the end."""

    def op(c: sqlite3.Connection) -> float:
        c.execute(
            """
            INSERT INTO memory_cooldown (provider, until) VALUES (?, ?)
            ON CONFLICT (provider) DO UPDATE SET until = max(until, excluded.until)
            """,
            (provider, until),
        )
        row = c.execute("SELECT until FROM memory_cooldown WHERE provider = ?", (provider,)).fetchone()
        return float(row[0])

    return write_transaction(conn, op)


def append_attempts(
    conn: sqlite3.Connection, attempts: Sequence[AttemptRecord], *, keep_since: float
) -> None:
    """Store a batch of attempts and drop every attempt older than ``keep_since``."""

    def op(c: sqlite3.Connection) -> None:
        c.executemany(
            "INSERT INTO adaptive_observation (provider, at, latency_ms, ok) VALUES (?, ?, ?, ?)",
            [(a.provider, a.at, a.latency_ms, int(a.ok)) for a in attempts],
        )
        c.execute("DELETE FROM adaptive_observation WHERE at < ?", (keep_since,))

    write_transaction(conn, op)
