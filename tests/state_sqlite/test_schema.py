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
from coderouter_supervisor.state.schema import MIGRATIONS


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


def test_the_store_check_notices_its_wal_deleted_under_it(tmp_path: Path) -> None:
    # SQLite keeps writing the orphaned inode: other processes would never see this worker's writes.
    db = tmp_path / "state.db"
    state_admin(db).migrate()

    async def scenario() -> None:
        store = await SqliteStateStore.open(db)
        try:
            await store.register_worker(pid=101, now=1000.0)
            await store.check_store()
            db.with_name(db.name + "-wal").unlink()
            with pytest.raises(StateUnavailable, match="WAL file was deleted"):
                await store.check_store()
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_version_7_file_gains_the_metric_history_and_keeps_its_series(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    conn = sqlite3.connect(db)
    for migration in MIGRATIONS[:7]:
        conn.executescript(migration)
    conn.execute("PRAGMA user_version = 7")
    conn.execute("INSERT INTO metric_series VALUES (1, 'coderouter_x_total', '[]', 5.0)")
    conn.commit()
    conn.close()
    admin = state_admin(db)
    assert admin.migrate() == 7
    assert SCHEMA_VERSION == 8
    assert admin.read_history("minute", 0.0) == []
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT value FROM metric_series").fetchall() == [(5.0,)]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(metric_rollup)")]
        assert columns == ["resolution", "start", "name", "labels", "value"]
    finally:
        conn.close()
