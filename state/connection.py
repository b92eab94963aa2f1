"""Opening the state file and running one write transaction on it."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from coderouter_supervisor.state.errors import StateUnavailable

T = TypeVar("T")

# Writers wait this long for another process's write lock before giving up. Each of our
# transactions is a few statements, so waiting seconds means something is badly wrong.
BUSY_TIMEOUT_MS = 5000

# Only the supervisor's checkpointer moves the WAL into the database (state/WAL.md): no connection
# this function opens may checkpoint on its own, or the WAL-reset bug of SQLite < 3.51.3 is back.
AUTOCHECKPOINT_PAGES = 0


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open ``path`` in WAL mode with explicit transactions.

    Call it in the process (and on the thread) that will use the connection, never before
    a fork. The connection never checkpoints the WAL by itself (see state/WAL.md). With
    ``create=False`` a missing file raises :class:`StateUnavailable` instead of creating an empty
    database.
    """
    mode = "rwc" if create else "rw"
    try:
        conn = sqlite3.connect(
            f"file:{path}?mode={mode}",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # no implicit BEGIN: every transaction says BEGIN IMMEDIATE itself
        )
    except sqlite3.Error as exc:
        raise StateUnavailable(f"{path}: cannot open state file ({exc})") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StateUnavailable(f"{path}: cannot use state file ({exc})") from exc
    return conn


def write_transaction(conn: sqlite3.Connection, op: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``op`` inside ``BEGIN IMMEDIATE … COMMIT``; roll back if it raises.

    IMMEDIATE takes the write lock up front, so a concurrent writer makes us wait on the
    busy timeout instead of failing at once on a read-to-write upgrade.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise StateUnavailable(f"cannot start a write transaction ({exc})") from exc
    try:
        result = op(conn)
    except BaseException:
        _roll_back(conn)
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        _roll_back(conn)
        raise StateUnavailable(f"cannot commit ({exc})") from exc
    return result


def _roll_back(conn: sqlite3.Connection) -> None:
    """Roll back what is still open, without hiding the error being handled: after some errors
    ("database or disk is full", I/O errors) SQLite has already rolled back, and a ROLLBACK would
    fail with "no transaction is active" in place of the real cause."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def on_own_connection(path: Path, what: str, op: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``op`` on a connection opened and closed for it: for the CLI and the arbiter, which must
    not keep one. ``sqlite3`` errors become :class:`StateUnavailable` saying it could not ``what``."""
    conn = connect(path, create=False)
    try:
        return op(conn)
    except sqlite3.Error as exc:
        raise StateUnavailable(f"{path}: cannot {what} ({exc})") from exc
    finally:
        conn.close()
