"""Migrating a PostgreSQL store: forward-only, recorded in its version table, once when boxes race."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import psycopg
import pytest

from coderouter_supervisor.state import SCHEMA_VERSION, SchemaMismatch, open_state, state_admin

# Each process: wait for "go", migrate, print the version it found.
_MIGRATING_PROCESS = """
import json, sys
from coderouter_supervisor.state import state_admin
admin = state_admin(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps(admin.migrate()), flush=True)
"""


def test_two_processes_migrating_at_once_both_succeed_and_leave_one_schema(database: str) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATING_PROCESS, database],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        found = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            found.append(json.loads(out))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    # One created the schema; the other waited on the lock and found nothing left to do.
    assert sorted(found) == [0, SCHEMA_VERSION]
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT version FROM coderouter_schema").fetchall() == [(SCHEMA_VERSION,)]
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'budget_ledger'"
        ).fetchone()
    assert tables == (1,)


def test_a_worker_refuses_a_store_never_migrated_or_newer_than_its_code(database: str) -> None:
    with pytest.raises(SchemaMismatch) as unmigrated:
        asyncio.run(open_state(database))
    assert (unmigrated.value.found, unmigrated.value.expected) == (0, SCHEMA_VERSION)
    admin = state_admin(database)
    admin.migrate()
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE coderouter_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaMismatch, match="newer"):
        admin.migrate()
    with pytest.raises(SchemaMismatch) as newer:
        asyncio.run(open_state(database))
    assert newer.value.found == SCHEMA_VERSION + 1
    assert "test-secret" not in str(newer.value)
