"""Noticing the state file or its WAL deleted or replaced under an open connection.

SQLite keeps writing the inode it opened, so a worker whose WAL was deleted goes on "succeeding"
while no other process sees its writes. Comparing inodes is two ``stat`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileIdentity:
    """Which inodes the database and its WAL are, to notice either being deleted or replaced."""

    database: int | None
    wal: int | None

    @classmethod
    def of(cls, path: Path) -> FileIdentity:
        return cls(_inode(path), _inode(path.with_name(path.name + "-wal")))


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def identity_problem(known: FileIdentity, now: FileIdentity) -> str | None:
    """What changed on disk since ``known`` was seen, or None. A file that did not exist then may
    appear (SQLite creates the WAL on first use); one that existed must still be the same inode."""
    for what, before, after in (
        ("state file", known.database, now.database),
        ("WAL file", known.wal, now.wal),
    ):
        if before is not None and after != before:
            change = "deleted" if after is None else "replaced"
            return (
                f"the {what} was {change} while in use; this worker's writes no longer reach other "
                "processes: restart the gateway"
            )
    return None
