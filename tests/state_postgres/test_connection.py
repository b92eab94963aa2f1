"""Reaching a PostgreSQL store: libpq's password sources work, the password shows nowhere, and a
missing driver names the extra that installs it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from coderouter_supervisor.state import StateUnavailable, open_state, state_admin

from support.postgres import PASSWORD, USER, PostgresServer
from support.postgres_databases import database_url

NOW = 1_764_590_400.0


def without_password(url: str) -> str:
    return url.replace(f":{PASSWORD}@", "@")


def test_the_password_may_come_from_pgpassword(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = without_password(database)
    with pytest.raises(StateUnavailable):
        state_admin(bare).migrate()  # scram auth and no password: refused
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert state_admin(bare).migrate() == 0


def test_the_password_may_come_from_a_pgpass_file(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:*:{USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)  # libpq ignores a file others can read
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    admin = state_admin(without_password(database))
    assert admin.migrate() == 0
    assert admin.describe().kind == "postgresql"


def test_libpq_options_in_the_url_are_honoured(database: str) -> None:
    # The throwaway server has no TLS: a URL that demands it is refused, one that allows it works.
    with pytest.raises(StateUnavailable, match="SSL"):
        state_admin(f"{database}?sslmode=require").migrate()
    assert state_admin(f"{database}?sslmode=prefer&connect_timeout=2").migrate() == 0


def test_no_error_and_no_description_shows_the_password(postgres: PostgresServer, database: str) -> None:
    wrong = database.replace(PASSWORD, "wrong-horse-battery")
    with pytest.raises(StateUnavailable) as refused:
        state_admin(wrong).read_keys()
    assert "wrong-horse-battery" not in str(refused.value)
    assert "password authentication failed" in str(refused.value)
    assert refused.value.whole_file

    missing = database_url(postgres, "no_such_database").replace(PASSWORD, "wrong-horse-battery")
    with pytest.raises(StateUnavailable) as absent:
        state_admin(missing).migrate()
    assert "wrong-horse-battery" not in str(absent.value)

    admin = state_admin(database)
    admin.migrate()
    assert PASSWORD not in repr(admin.describe()) and PASSWORD not in repr(admin)

    async def through_a_handle() -> str:
        store = await open_state(wrong)
        try:
            await store.list_workers(NOW)
        except StateUnavailable as exc:
            return f"{exc} {store!r}"
        finally:
            await store.close()
        raise AssertionError("a handle with a wrong password read the store")

    assert "wrong-horse-battery" not in asyncio.run(through_a_handle())


_WITHOUT_DRIVER = """
import asyncio, sys
sys.modules["psycopg"] = None  # as if the extra were not installed
from coderouter_supervisor.state import StateUnavailable, open_state, state_admin

try:
    state_admin(sys.argv[1]).migrate()
except StateUnavailable as exc:
    print(exc)

async def handle() -> None:
    store = await open_state(sys.argv[1])
    try:
        await store.read_keys()
    except StateUnavailable as exc:
        print(exc)
    await store.close()

asyncio.run(handle())
"""


def test_a_missing_driver_names_the_extra_to_install(database: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_DRIVER, database],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stderr
    for line in lines:
        assert "pip install 'coderouter-supervisor[postgres]'" in line
        assert PASSWORD not in line
