"""Schema versions of the state file, keyed by ``PRAGMA user_version``.

Migrations are forward-only: ``MIGRATIONS[i]`` takes the file from version ``i`` to
``i + 1``. Only the supervisor migrates (once, before workers start); workers only check.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from coderouter_supervisor.state.connection import connect, write_transaction
from coderouter_supervisor.state.errors import SchemaMismatch, StateUnavailable

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE worker_heartbeat (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        pid         INTEGER NOT NULL,
        started_at  REAL    NOT NULL,
        last_seen   REAL    NOT NULL,
        requests    INTEGER NOT NULL DEFAULT 0,
        exited_at   REAL
    );
    CREATE INDEX worker_heartbeat_live ON worker_heartbeat (exited_at, last_seen);
    """,
    """
    CREATE TABLE budget_ledger (
        provider       TEXT    NOT NULL,
        month          TEXT    NOT NULL,
        spent_usd      REAL    NOT NULL DEFAULT 0,
        input_tokens   INTEGER NOT NULL DEFAULT 0,
        output_tokens  INTEGER NOT NULL DEFAULT 0,
        requests       INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (provider, month)
    );
    CREATE TABLE budget_reservation (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        provider    TEXT    NOT NULL,
        month       TEXT    NOT NULL,
        amount_usd  REAL    NOT NULL,
        worker_id   INTEGER NOT NULL,
        expires_at  REAL    NOT NULL
    );
    CREATE INDEX budget_reservation_provider ON budget_reservation (provider, month);
    CREATE TABLE backend_health (
        provider              TEXT    PRIMARY KEY,
        state                 TEXT    NOT NULL,
        consecutive_failures  INTEGER NOT NULL,
        changed_at            REAL    NOT NULL
    );
    CREATE TABLE memory_cooldown (
        provider  TEXT  PRIMARY KEY,
        until     REAL  NOT NULL
    );
    CREATE TABLE adaptive_observation (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        provider    TEXT    NOT NULL,
        at          REAL    NOT NULL,
        latency_ms  REAL,
        ok          INTEGER NOT NULL
    );
    CREATE INDEX adaptive_observation_at ON adaptive_observation (at);
    CREATE INDEX adaptive_observation_provider ON adaptive_observation (provider, at);
    """,
    """
    CREATE TABLE metric_series (
        worker_id  INTEGER NOT NULL,
        name       TEXT    NOT NULL,
        labels     TEXT    NOT NULL,
        value      REAL    NOT NULL,
        PRIMARY KEY (worker_id, name, labels)
    );
    CREATE TABLE recent_event (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        at      REAL    NOT NULL,
        pid     INTEGER NOT NULL,
        event   TEXT    NOT NULL,
        fields  TEXT    NOT NULL
    );
    """,
    """
    CREATE TABLE client_key (
        name                TEXT    PRIMARY KEY,
        key_hash            TEXT    NOT NULL UNIQUE,
        created_at          REAL    NOT NULL,
        monthly_budget_usd  REAL,
        profiles            TEXT,
        admin               INTEGER NOT NULL DEFAULT 0,
        revoked_at          REAL
    );
    """,
    """
    ALTER TABLE client_key ADD COLUMN max_concurrent INTEGER;
    ALTER TABLE client_key ADD COLUMN requests_per_minute INTEGER;
    CREATE TABLE key_admission (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        key_name     TEXT    NOT NULL,
        admitted_at  REAL    NOT NULL,
        worker_id    INTEGER NOT NULL,
        expires_at   REAL    NOT NULL,
        released_at  REAL
    );
    CREATE INDEX key_admission_key ON key_admission (key_name, admitted_at);
    """,
    # Each worker says how long after its last beat it counts as dead (workers that write
    # seldom, to spare an SD card, beat seldom).
    """
    ALTER TABLE worker_heartbeat ADD COLUMN dead_after_s REAL NOT NULL DEFAULT 6.0;
    """,
    # A reclaimed hold is charged at its amount and kept, marked, so that a settle arriving later
    # replaces the charge instead of adding to it.
    """
    ALTER TABLE budget_reservation ADD COLUMN reclaimed_at REAL;
    """,
    # Metric history: what each series grew by per minute and per hour (``resolution`` in seconds),
    # summed over workers. The key's prefix serves both range reads and pruning.
    """
    CREATE TABLE metric_rollup (
        resolution  INTEGER NOT NULL,
        start       INTEGER NOT NULL,
        name        TEXT    NOT NULL,
        labels      TEXT    NOT NULL,
        value       REAL    NOT NULL,
        PRIMARY KEY (resolution, start, name, labels)
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def sqlite_library_version() -> str:
    """The version of the SQLite library this Python links (not of the Python module)."""
    return sqlite3.sqlite_version


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def _apply_migrations(conn: sqlite3.Connection, path: Path) -> int:
    found = schema_version(conn)
    if found > SCHEMA_VERSION:
        raise SchemaMismatch(str(path), found, SCHEMA_VERSION)
    for version in range(found, SCHEMA_VERSION):
        for statement in MIGRATIONS[version].split(";"):
            if statement.strip():
                conn.execute(statement)
    # PRAGMA takes no parameters; SCHEMA_VERSION is our own integer.
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return found


def migrate_state_file(path: Path) -> int:
    """Create or upgrade the state file at ``path``; return the version it was at.

    Creates the parent directory (mode 0700). Raises :class:`SchemaMismatch` when the file
    is newer than this code and :class:`StateUnavailable` when it cannot be written.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise StateUnavailable(f"{path.parent}: cannot create state directory ({exc})") from exc
    conn = connect(path, create=True)
    try:
        # Budgets and (later) client-key hashes live here: owner-only, like the directory.
        path.chmod(0o600)
        return write_transaction(conn, lambda c: _apply_migrations(c, path))
    except sqlite3.Error as exc:
        raise StateUnavailable(f"{path}: migration failed ({exc})") from exc
    finally:
        conn.close()


def require_current_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`SchemaMismatch` unless the file is at :data:`SCHEMA_VERSION`."""
    found = schema_version(conn)
    if found != SCHEMA_VERSION:
        raise SchemaMismatch(str(path), found, SCHEMA_VERSION)
