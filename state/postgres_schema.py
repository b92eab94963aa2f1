"""Schema versions of a PostgreSQL state store, kept in its ``coderouter_schema`` table.

Versions are the same numbers as the SQLite file's (:data:`~.schema.SCHEMA_VERSION`): one version
means one set of tables and rules on either backend. Migrations are forward-only; each entry of
:data:`MIGRATIONS` is (the version it reaches, its statements), applied when the store is below that
version. PostgreSQL stores start at version 7, so the first entry creates the schema of that version at once.
:func:`migrate` runs under an advisory lock, so two boxes starting at once migrate once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coderouter_supervisor.state.errors import SchemaMismatch
from coderouter_supervisor.state.postgres_connection import advisory_lock
from coderouter_supervisor.state.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from coderouter_supervisor.state.postgres_connection import Connection

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        7,
        """
        CREATE TABLE worker_heartbeat (
            id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            pid           INTEGER          NOT NULL,
            box           TEXT             NOT NULL,
            started_at    DOUBLE PRECISION NOT NULL,
            last_seen     DOUBLE PRECISION NOT NULL,
            requests      BIGINT           NOT NULL DEFAULT 0,
            exited_at     DOUBLE PRECISION,
            dead_after_s  DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX worker_heartbeat_live ON worker_heartbeat (exited_at, last_seen);
        CREATE TABLE budget_ledger (
            provider       TEXT             NOT NULL,
            month          TEXT             NOT NULL,
            spent_usd      DOUBLE PRECISION NOT NULL DEFAULT 0,
            input_tokens   BIGINT           NOT NULL DEFAULT 0,
            output_tokens  BIGINT           NOT NULL DEFAULT 0,
            requests       BIGINT           NOT NULL DEFAULT 0,
            PRIMARY KEY (provider, month)
        );
        CREATE TABLE budget_reservation (
            id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            provider      TEXT             NOT NULL,
            month         TEXT             NOT NULL,
            amount_usd    DOUBLE PRECISION NOT NULL,
            worker_id     BIGINT           NOT NULL,
            expires_at    DOUBLE PRECISION NOT NULL,
            reclaimed_at  DOUBLE PRECISION
        );
        CREATE INDEX budget_reservation_provider ON budget_reservation (provider, month);
        CREATE INDEX budget_reservation_live ON budget_reservation (expires_at) WHERE reclaimed_at IS NULL;
        CREATE TABLE backend_health (
            provider              TEXT             PRIMARY KEY,
            state                 TEXT             NOT NULL,
            consecutive_failures  INTEGER          NOT NULL,
            changed_at            DOUBLE PRECISION NOT NULL
        );
        CREATE TABLE memory_cooldown (
            provider  TEXT              PRIMARY KEY,
            until     DOUBLE PRECISION  NOT NULL
        );
        CREATE TABLE adaptive_observation (
            id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            provider    TEXT             NOT NULL,
            at          DOUBLE PRECISION NOT NULL,
            latency_ms  DOUBLE PRECISION,
            ok          BOOLEAN          NOT NULL
        );
        CREATE INDEX adaptive_observation_at ON adaptive_observation (at);
        CREATE INDEX adaptive_observation_provider ON adaptive_observation (provider, at);
        CREATE TABLE metric_series (
            worker_id  BIGINT           NOT NULL,
            name       TEXT             NOT NULL,
            labels     TEXT             NOT NULL,
            value      DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (worker_id, name, labels)
        );
        CREATE TABLE recent_event (
            id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at      DOUBLE PRECISION NOT NULL,
            pid     INTEGER          NOT NULL,
            event   TEXT             NOT NULL,
            fields  TEXT             NOT NULL
        );
        CREATE TABLE client_key (
            name                 TEXT             PRIMARY KEY,
            key_hash             TEXT             NOT NULL UNIQUE,
            created_at           DOUBLE PRECISION NOT NULL,
            monthly_budget_usd   DOUBLE PRECISION,
            profiles             TEXT,
            admin                BOOLEAN          NOT NULL DEFAULT FALSE,
            revoked_at           DOUBLE PRECISION,
            max_concurrent       INTEGER,
            requests_per_minute  INTEGER
        );
        CREATE TABLE key_admission (
            id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            key_name     TEXT             NOT NULL,
            admitted_at  DOUBLE PRECISION NOT NULL,
            worker_id    BIGINT           NOT NULL,
            expires_at   DOUBLE PRECISION NOT NULL,
            released_at  DOUBLE PRECISION
        );
        CREATE INDEX key_admission_key ON key_admission (key_name, admitted_at);
        """,
    ),
    (
        8,
        """
        CREATE TABLE metric_rollup (
            resolution  INTEGER          NOT NULL,
            start       BIGINT           NOT NULL,
            name        TEXT             NOT NULL,
            labels      TEXT             NOT NULL,
            value       DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (resolution, start, name, labels)
        );
        """,
    ),
)

# What every process with a handle must find; the table is created by the first migration.
_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS coderouter_schema (version INTEGER NOT NULL)"


def tables_without_access(conn: Connection) -> tuple[str, ...]:
    """The tables of the store's schema (the gateway's database is its own) that the connected user
    may not read and write."""
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'r' AND n.nspname = current_schema()"
        # has_table_privilege with a list is true when any one is held: ask for each.
        " AND NOT (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')"
        " AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE'))"
        " ORDER BY c.relname"
    ).fetchall()
    return tuple(str(row[0]) for row in rows)


def schema_version(conn: Connection) -> int:
    """The store's version; 0 for a database never migrated."""
    exists = conn.execute("SELECT to_regclass('coderouter_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM coderouter_schema").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def apply_migrations(conn: Connection, shown: str) -> int:
    """Inside a transaction: bring the store to :data:`SCHEMA_VERSION`; return the version it was at.
    Waits for any other process migrating the same database, then finds nothing left to do."""
    advisory_lock(conn, "coderouter-supervisor schema")
    conn.execute(_VERSION_TABLE)
    found = schema_version(conn)
    if found > SCHEMA_VERSION:
        raise SchemaMismatch(shown, found, SCHEMA_VERSION)
    for reaches, statements in MIGRATIONS:
        if found < reaches:
            conn.execute(statements)
    conn.execute("DELETE FROM coderouter_schema")
    conn.execute("INSERT INTO coderouter_schema (version) VALUES (%s)", (max(found, SCHEMA_VERSION),))
    return found


def require_current_schema(conn: Connection, shown: str) -> None:
    """Raise :class:`SchemaMismatch` unless the store is at :data:`SCHEMA_VERSION`."""
    found = schema_version(conn)
    if found != SCHEMA_VERSION:
        raise SchemaMismatch(shown, found, SCHEMA_VERSION)
