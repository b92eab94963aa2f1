"""Worker heartbeats: which worker processes are alive and how much they served."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from coderouter_supervisor.state.connection import write_transaction

HEARTBEAT_INTERVAL_S = 2.0
# A worker that missed this many beats is taken for dead even before anyone marks it so.
_MISSED_BEATS_DEAD = 3
# How long after its last beat a worker at the default interval counts as dead for `status` and key
# concurrency slots; each row stores its own, from its own interval. Budget holds do not go by it
# (a paused worker is silent too): see :func:`process_exists`.
DEAD_AFTER_S = HEARTBEAT_INTERVAL_S * _MISSED_BEATS_DEAD
# The ids of workers beating as of ``?`` (now): what key concurrency slots survive by.
LIVE_WORKER_IDS = "SELECT id FROM worker_heartbeat WHERE exited_at IS NULL AND last_seen + dead_after_s >= ?"
# Rows of exited workers are kept this long for `status`, then pruned at the next registration.
_EXITED_RETENTION_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class WorkerHeartbeat:
    """What the state file knows about one worker process."""

    worker_id: int
    pid: int
    started_at: float
    last_seen: float
    requests: int
    exited_at: float | None
    dead_after_s: float = DEAD_AFTER_S
    # The machine it runs on, where the store is shared by several (PostgreSQL); None in a state file.
    box: str | None = None

    def alive(self, now: float) -> bool:
        return self.exited_at is None and now - self.last_seen <= self.dead_after_s


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine. A pid reused by another process counts as
    existing: that only delays reclaiming what the dead worker held, never reclaims too early."""
    if pid <= 0:
        return False  # not a process id (0 and negatives name process groups)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def register_worker(
    conn: sqlite3.Connection, pid: int, now: float, beat_interval_s: float = HEARTBEAT_INTERVAL_S
) -> int:
    """Insert a row for a starting worker that beats every ``beat_interval_s``; return its id.
    Prunes long-exited rows."""

    def op(c: sqlite3.Connection) -> int:
        c.execute(
            "DELETE FROM worker_heartbeat WHERE exited_at IS NOT NULL AND exited_at < ?",
            (now - _EXITED_RETENTION_S,),
        )
        cur = c.execute(
            "INSERT INTO worker_heartbeat (pid, started_at, last_seen, requests, dead_after_s)"
            " VALUES (?, ?, ?, 0, ?)",
            (pid, now, now, beat_interval_s * _MISSED_BEATS_DEAD),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    return write_transaction(conn, op)


def record_heartbeat(conn: sqlite3.Connection, worker_id: int, now: float, requests: int) -> int:
    """Refresh a worker's row; return how many workers are alive as of ``now``."""

    def op(c: sqlite3.Connection) -> int:
        c.execute(
            "UPDATE worker_heartbeat SET last_seen = ?, requests = ? WHERE id = ?",
            (now, requests, worker_id),
        )
        return _count_alive(c, now)

    return write_transaction(conn, op)


def mark_worker_exited(conn: sqlite3.Connection, worker_id: int, now: float, requests: int) -> None:
    def op(c: sqlite3.Connection) -> None:
        c.execute(
            "UPDATE worker_heartbeat SET last_seen = ?, requests = ?, exited_at = ? WHERE id = ?",
            (now, requests, now, worker_id),
        )

    write_transaction(conn, op)


def _count_alive(conn: sqlite3.Connection, now: float) -> int:
    row = conn.execute(f"SELECT count(*) FROM ({LIVE_WORKER_IDS})", (now,)).fetchone()  # noqa: S608
    return int(row[0])


def mark_pid_exited(conn: sqlite3.Connection, pid: int, now: float) -> None:
    """Mark the live row of ``pid`` as exited; for the arbiter after it reaped a worker."""
    write_transaction(
        conn,
        lambda c: c.execute(
            "UPDATE worker_heartbeat SET exited_at = ? WHERE pid = ? AND exited_at IS NULL", (now, pid)
        ),
    )


def mark_gone_workers(
    conn: sqlite3.Connection, now: float, exists: Callable[[int], bool] = process_exists
) -> list[WorkerHeartbeat]:
    """Mark exited every worker not marked so whose process no longer exists; return them as they
    were. For the supervisor before it starts workers: rows a previous run left behind (killed with
    its arbiter) stop counting as workers, and their budget holds are reclaimed at the next reservation."""

    def op(c: sqlite3.Connection) -> list[WorkerHeartbeat]:
        gone = [
            w for w in list_workers(c, now, include_exited=True) if w.exited_at is None and not exists(w.pid)
        ]
        c.executemany(
            "UPDATE worker_heartbeat SET exited_at = ? WHERE id = ?", [(now, w.worker_id) for w in gone]
        )
        return gone

    return write_transaction(conn, op)


def list_workers(
    conn: sqlite3.Connection, now: float, *, include_exited: bool = False
) -> list[WorkerHeartbeat]:
    """Workers alive as of ``now`` (and, if asked, those that exited), oldest first."""
    rows = conn.execute(
        "SELECT id, pid, started_at, last_seen, requests, exited_at, dead_after_s"
        " FROM worker_heartbeat ORDER BY id"
    ).fetchall()
    workers = [WorkerHeartbeat(*row) for row in rows]
    return [w for w in workers if include_exited or w.alive(now)]
