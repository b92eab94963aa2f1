"""Provider facts on PostgreSQL: the rules of :mod:`.provider_observations`. A health transition holds
its provider's advisory lock while it reads, decides and writes, so failures on every box all count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from coderouter_supervisor.state.postgres_connection import advisory_lock
from coderouter_supervisor.state.postgres_ledger import read_ledger
from coderouter_supervisor.state.provider_observations import (
    ATTEMPTS_PER_PROVIDER,
    AttemptRecord,
    HealthRecord,
    ProviderFacts,
)

if TYPE_CHECKING:
    from coderouter_supervisor.state.postgres_connection import Connection


def read_provider_facts(
    conn: Connection, providers: Sequence[str], *, month: str, attempts_since: float | None
) -> ProviderFacts:
    """Inside a fresh transaction: every table read from one snapshot."""
    names = list(dict.fromkeys(providers))
    if not names:
        return ProviderFacts()
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    health = {
        str(p): HealthRecord(str(p), str(s), int(n), float(at))
        for p, s, n, at in conn.execute(
            "SELECT provider, state, consecutive_failures, changed_at FROM backend_health"
            " WHERE provider = ANY(%s)",
            (names,),
        ).fetchall()
    }
    cooldowns = {
        str(p): float(until)
        for p, until in conn.execute(
            "SELECT provider, until FROM memory_cooldown WHERE provider = ANY(%s)", (names,)
        ).fetchall()
    }
    ledger = {entry.provider: entry for entry in read_ledger(conn, month, names)}
    attempts: tuple[AttemptRecord, ...] = ()
    if attempts_since is not None:
        rows = conn.execute(
            """
            SELECT provider, at, latency_ms, ok FROM (
                SELECT provider, at, latency_ms, ok,
                       row_number() OVER (PARTITION BY provider ORDER BY at DESC) AS newest
                FROM adaptive_observation WHERE provider = ANY(%s) AND at >= %s
            ) AS recent
            WHERE newest <= %s ORDER BY provider, at
            """,
            (names, attempts_since, ATTEMPTS_PER_PROVIDER),
        ).fetchall()
        order = {name: i for i, name in enumerate(names)}
        attempts = tuple(
            sorted(
                (
                    AttemptRecord(str(p), float(at), None if ms is None else float(ms), bool(ok))
                    for p, at, ms, ok in rows
                ),
                key=lambda a: order[a.provider],
            )
        )
    return ProviderFacts(health, cooldowns, ledger, attempts)


def update_health(
    conn: Connection, provider: str, transition: Callable[[HealthRecord | None], HealthRecord]
) -> tuple[HealthRecord | None, HealthRecord]:
    advisory_lock(conn, "health", provider)
    row = conn.execute(
        "SELECT provider, state, consecutive_failures, changed_at FROM backend_health WHERE provider = %s",
        (provider,),
    ).fetchone()
    old = HealthRecord(str(row[0]), str(row[1]), int(row[2]), float(row[3])) if row else None
    new = transition(old)
    if new != old:
        conn.execute(
            """
            INSERT INTO backend_health (provider, state, consecutive_failures, changed_at)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (provider) DO UPDATE SET
                state = excluded.state,
                consecutive_failures = excluded.consecutive_failures,
                changed_at = excluded.changed_at
            """,
            (provider, new.state, new.consecutive_failures, new.changed_at),
        )
    return old, new


def start_cooldown(conn: Connection, provider: str, until: float) -> float:
    row = conn.execute(
        """
        INSERT INTO memory_cooldown AS c (provider, until) VALUES (%s, %s)
        ON CONFLICT (provider) DO UPDATE SET until = GREATEST(c.until, excluded.until)
        RETURNING until
        """,
        (provider, until),
    ).fetchone()
    assert row is not None
    return float(row[0])


def append_attempts(conn: Connection, attempts: Sequence[AttemptRecord], *, keep_since: float) -> None:
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO adaptive_observation (provider, at, latency_ms, ok) VALUES (%s, %s, %s, %s)",
            [(a.provider, a.at, a.latency_ms, a.ok) for a in attempts],
        )
    conn.execute("DELETE FROM adaptive_observation WHERE at < %s", (keep_since,))
