"""Moving the WAL into the database file: the one checkpoint the instance runs (see WAL.md)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CheckpointOutcome:
    """What one ``wal_checkpoint(TRUNCATE)`` achieved.

    ``complete``: every frame was copied and the WAL truncated to zero bytes. When not, a writer or
    a reader kept it busy past the busy timeout; the frames stay safe in the WAL and the caller
    retries later.
    """

    complete: bool
    wal_frames: int
    checkpointed_frames: int


def wal_file(db: Path) -> Path:
    return db.with_name(db.name + "-wal")


def wal_bytes(db: Path) -> int:
    """The WAL file's size; 0 when it is absent (nothing waits to be checkpointed)."""
    try:
        return wal_file(db).stat().st_size
    except FileNotFoundError:
        return 0


def checkpoint_wal(conn: sqlite3.Connection) -> CheckpointOutcome:
    """Run ``PRAGMA wal_checkpoint(TRUNCATE)`` on ``conn``, outside any transaction.

    TRUNCATE takes the writer lock before it reads the WAL header and keeps it to the end, waiting
    on the busy timeout for writers and then for readers; when it completes it has reset the WAL
    itself, so no writer restarts the WAL after it.
    """
    busy, frames, checkpointed = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return CheckpointOutcome(complete=busy == 0, wal_frames=frames, checkpointed_frames=checkpointed)
