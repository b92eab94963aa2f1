"""The state file: migrations, schema checks, heartbeats (SQLite files under tmp_path)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from coderouter_supervisor.state import (
    SCHEMA_VERSION,
    SchemaMismatch,
    SqliteStateStore,
    StateUnavailable,
    default_state_path,
    state_admin,
)


def test_migrate_creates_file_directory_and_wal(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "state.db"
    assert state_admin(db).migrate() == 0
    assert (db.parent.stat().st_mode & 0o777) == 0o700
    assert (db.stat().st_mode & 0o777) == 0o600
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state_admin(db).migrate()
    assert state_admin(db).migrate() == SCHEMA_VERSION


def test_migrate_refuses_a_newer_file(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaMismatch, match="newer"):
        state_admin(db).migrate()


def test_migrate_reports_an_unwritable_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StateUnavailable, match="cannot create state directory"):
        state_admin(blocker / "state.db").migrate()


def test_store_refuses_an_unmigrated_file(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    sqlite3.connect(db).close()
    with pytest.raises(SchemaMismatch, match="expected"):
        asyncio.run(SqliteStateStore.open(db))


def test_a_store_on_a_missing_file_opens_but_every_operation_says_why(tmp_path: Path) -> None:
    # A worker must boot without its state file (it degrades); it never creates an empty one.
    async def scenario() -> None:
        store = await SqliteStateStore.open(tmp_path / "absent.db")
        try:
            with pytest.raises(StateUnavailable, match="cannot open state file") as raised:
                await store.register_worker(pid=101, now=1000.0)
            assert raised.value.whole_file
        finally:
            await store.close()

    asyncio.run(scenario())
    assert not (tmp_path / "absent.db").exists()


def test_heartbeats_register_beat_exit(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state_admin(db).migrate()

    async def scenario() -> tuple[int, int]:
        store = await SqliteStateStore.open(db)
        try:
            first = await store.register_worker(pid=101, now=1000.0)
            second = await store.register_worker(pid=102, now=1000.5)
            alive = await store.record_heartbeat(first, now=1001.0, requests=7)
            await store.mark_worker_exited(second, now=1001.5, requests=3)
            return alive, await store.record_heartbeat(first, now=1002.0, requests=9)
        finally:
            await store.close()
            await store.close()  # idempotent

    alive_before, alive_after = asyncio.run(scenario())
    assert (alive_before, alive_after) == (2, 1)
    live = state_admin(db).list_workers(now=1002.0)
    assert [(w.pid, w.requests) for w in live] == [(101, 9)]
    every = state_admin(db).list_workers(now=1002.0, include_exited=True)
    assert [(w.pid, w.exited_at) for w in every] == [(101, None), (102, 1001.5)]


def test_silent_worker_counts_as_dead_and_arbiter_marks_exits(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state_admin(db).migrate()

    async def register() -> None:
        store = await SqliteStateStore.open(db)
        await store.register_worker(pid=201, now=100.0)
        await store.register_worker(pid=202, now=100.0)
        await store.register_worker(pid=203, now=100.0, beat_interval_s=10.0)  # a low-write worker
        await store.close()

    asyncio.run(register())
    assert {w.pid for w in state_admin(db).list_workers(now=105.0)} == {201, 202, 203}
    assert [w.pid for w in state_admin(db).list_workers(now=107.0)] == [203]  # three missed beats of 2 s
    assert state_admin(db).list_workers(now=131.0) == []  # and three of 10 s
    state_admin(db).mark_pid_exited(201, now=105.0)
    assert [w.pid for w in state_admin(db).list_workers(now=105.0)] == [202, 203]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, "home/.local/state/coderouter/state.db", id="default"),
        pytest.param({"XDG_STATE_HOME": "/srv/st"}, "/srv/st/coderouter/state.db", id="xdg"),
        pytest.param(
            {"XDG_STATE_HOME": "relative"}, "home/.local/state/coderouter/state.db", id="xdg-relative"
        ),
        pytest.param(
            {"STATE_DIRECTORY": "/var/lib/coderouter", "XDG_STATE_HOME": "/srv/st"},
            "/var/lib/coderouter/state.db",
            id="systemd-state-directory-wins",
        ),
        pytest.param(
            {"STATE_DIRECTORY": "/var/lib/coderouter:/var/lib/other"},
            "/var/lib/coderouter/state.db",
            id="systemd-first-of-several",
        ),
        pytest.param(
            {"STATE_DIRECTORY": "relative", "XDG_STATE_HOME": "/srv/st"},
            "/srv/st/coderouter/state.db",
            id="systemd-relative-ignored",
        ),
    ],
)
def test_default_state_path(env: dict[str, str], expected: str) -> None:
    assert default_state_path(env, Path("home")) == Path(expected)


def test_supervisor_marks_workers_of_a_previous_run_whose_process_is_gone(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    state_admin(db).migrate()

    async def register() -> None:
        store = await SqliteStateStore.open(db)
        for pid in (301, 302, 303):
            await store.register_worker(pid=pid, now=100.0)
        await store.mark_worker_exited(1, now=150.0, requests=0)  # pid 301 exited cleanly
        await store.close()

    asyncio.run(register())
    gone = state_admin(db).mark_gone_workers(now=200.0, exists=lambda pid: pid == 303)
    assert [w.pid for w in gone] == [302]
    every = state_admin(db).list_workers(now=200.0, include_exited=True)
    assert [(w.pid, w.exited_at) for w in every] == [(301, 150.0), (302, 200.0), (303, None)]
