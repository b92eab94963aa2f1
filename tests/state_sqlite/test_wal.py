"""WAL checkpointing: connections that never checkpoint, the supervisor's TRUNCATE, and when it runs."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from coderouter_supervisor.state import (
    SqliteStateStore,
    state_admin,
    wal_bytes,
)
from coderouter_supervisor.state.connection import connect
from coderouter_supervisor.supervisor.lifecycle.wal_keeper import MAX_WAL_BYTES, WalKeeper, checkpoint_due
from coderouter_supervisor.worker.telemetry.write_policy import write_policy

# More than SQLite's default autocheckpoint threshold of 1000 pages.
PAGES = 1200


def _fill(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS filler (blob BLOB)")
    conn.execute("BEGIN IMMEDIATE")
    for _ in range(PAGES):
        conn.execute("INSERT INTO filler VALUES (zeroblob(4000))")
    conn.execute("COMMIT")


def test_connections_never_checkpoint_on_their_own(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state_admin(db).migrate()
    conn = connect(db, create=False)
    try:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        _fill(conn)
        # Still all in the WAL: an autocheckpoint would have copied it into the database file.
        assert wal_bytes(db) > PAGES * 4096
        assert db.stat().st_size < PAGES * 4096
    finally:
        conn.close()


def test_the_store_checkpoint_truncates_the_wal(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state_admin(db).migrate()
    writer = connect(db, create=False)

    async def checkpoint() -> tuple[bool, int]:
        store = await SqliteStateStore.open(db)
        try:
            outcome = await store.checkpoint_wal()
        finally:
            await store.close()
        return outcome.complete, outcome.checkpointed_frames

    try:
        _fill(writer)
        assert asyncio.run(checkpoint()) == (True, 0)
        assert wal_bytes(db) == 0
        assert writer.execute("SELECT count(*) FROM filler").fetchone()[0] == PAGES
    finally:
        writer.close()


def test_the_keeper_leaves_an_idle_wal_alone_and_empties_a_written_one(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state_admin(db).migrate()
    worker = connect(db, create=False)  # a worker's connection, open throughout
    wal = db.with_name(db.name + "-wal")
    shm = db.with_name(db.name + "-shm")
    # Checkpoint at every poll when there is anything to do.
    eager = replace(write_policy("default"), checkpoint_interval_s=0.0, checkpoint_retry_s=0.0)

    async def run() -> None:
        keeper = WalKeeper(db, eager, poll_s=0.01)
        await keeper.start()
        try:
            await _until(lambda: wal_bytes(db) == 0)
            idle = [(f.stat().st_size, f.stat().st_mtime_ns, f.read_bytes()) for f in (db, wal, shm)]
            await asyncio.sleep(0.3)  # some 30 polls with nothing to do
            # Even an idle TRUNCATE would truncate the -wal again and rewrite the -shm header.
            assert [(f.stat().st_size, f.stat().st_mtime_ns, f.read_bytes()) for f in (db, wal, shm)] == idle
            _fill(worker)
            assert wal_bytes(db) > PAGES * 4096
            await _until(lambda: wal_bytes(db) == 0)
        finally:
            await keeper.stop()

    try:
        asyncio.run(run())
        assert worker.execute("SELECT count(*) FROM filler").fetchone()[0] == PAGES
    finally:
        worker.close()


async def _until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


DEFAULT = write_policy("default")
LOW_WRITE = write_policy("low_write")


@pytest.mark.parametrize(
    ("wal_size", "since_last_s", "incomplete", "policy", "due"),
    [
        pytest.param(0, 1e6, False, DEFAULT, False, id="empty-wal-never"),
        pytest.param(0, 1e6, True, DEFAULT, False, id="empty-wal-never-even-after-busy"),
        pytest.param(4096, 0.5, False, DEFAULT, False, id="default-before-interval"),
        pytest.param(4096, 1.0, False, DEFAULT, True, id="default-at-interval"),
        pytest.param(4096, 30.0, False, LOW_WRITE, False, id="low-write-before-interval"),
        pytest.param(4096, 60.0, False, LOW_WRITE, True, id="low-write-at-interval"),
        pytest.param(4096, 10.0, True, LOW_WRITE, True, id="low-write-retries-sooner-after-busy"),
        pytest.param(MAX_WAL_BYTES, 0.0, False, LOW_WRITE, True, id="over-the-bound-at-once"),
    ],
)
def test_checkpoint_due(
    wal_size: int, since_last_s: float, incomplete: bool, policy: object, due: bool
) -> None:
    assert checkpoint_due(wal_size, since_last_s, incomplete=incomplete, policy=policy) is due  # type: ignore[arg-type]
