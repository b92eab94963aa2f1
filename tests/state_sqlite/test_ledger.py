"""Budget ledger and provider facts in a real state file (SQLite under tmp_path), times injected."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from coderouter_supervisor.state import (
    DEAD_AFTER_S,
    AttemptRecord,
    LedgerEntry,
    Settlement,
    state_admin,
)
from coderouter_supervisor.state.budget_ledger import (
    RECLAIMED_KEPT_S,
    ReclaimedHold,
    read_ledger,
    record_spend,
    reserve_spend,
)
from coderouter_supervisor.state.connection import connect
from coderouter_supervisor.state.heartbeats import process_exists, register_worker
from coderouter_supervisor.state.provider_observations import (
    append_attempts,
    read_provider_facts,
    start_cooldown,
)
from coderouter_supervisor.state.schema import MIGRATIONS, SCHEMA_VERSION

NOW = 1_764_590_400.0  # 2025-12-01T12:00:00Z
MONTH = "2025-12"


def reserve(
    conn: sqlite3.Connection,
    amount: float,
    worker: int,
    *,
    cap: float = 10.0,
    now: float = NOW,
    gone: frozenset[int] = frozenset(),
) -> int | None:
    """Reserve for ``worker``; the processes of pids in ``gone`` no longer exist, every other does."""
    return reserve_spend(
        conn,
        provider="claude",
        month=MONTH,
        amount_usd=amount,
        cap_usd=cap,
        worker_id=worker,
        now=now,
        hold_s=600,
        exists=lambda pid: pid not in gone,
    ).reservation_id


def beat(conn: sqlite3.Connection, worker: int, now: float) -> None:
    conn.execute("UPDATE worker_heartbeat SET last_seen = ? WHERE id = ?", (now, worker))


def test_a_paused_worker_keeps_its_holds_however_stale_its_heartbeat(conn: sqlite3.Connection) -> None:
    paused = register_worker(conn, 100, NOW)
    other = register_worker(conn, 200, NOW)
    assert reserve(conn, 9.0, paused) is not None
    much_later = NOW + 500  # far past three missed beats, still before the hold expires
    beat(conn, other, much_later)
    assert reserve(conn, 9.0, other, now=much_later) is None  # pid 100 still exists: the hold stands
    [entry] = read_ledger(conn, MONTH)
    assert (entry.spent_usd, entry.reserved_usd, entry.reservations) == (0.0, 9.0, 1)
    assert conn.execute("SELECT exited_at FROM worker_heartbeat WHERE id = ?", (paused,)).fetchone() == (
        None,
    )


def test_a_dead_workers_hold_is_charged_at_the_hold_not_given_back(conn: sqlite3.Connection) -> None:
    dead = register_worker(conn, 100, NOW)
    other = register_worker(conn, 200, NOW)
    assert reserve(conn, 6.0, dead) is not None
    later = NOW + DEAD_AFTER_S + 1
    beat(conn, other, later)
    hold = reserve_spend(
        conn,
        provider="claude",
        month=MONTH,
        amount_usd=3.0,
        cap_usd=10.0,
        worker_id=other,
        now=later,
        hold_s=600,
        exists=lambda pid: pid != 100,
    )
    assert hold.reservation_id is not None  # 6 charged + 3 held fit under 10
    assert hold.reclaimed == (ReclaimedHold("claude", MONTH, 6.0, dead, "worker-gone"),)
    [entry] = read_ledger(conn, MONTH)
    assert (entry.spent_usd, entry.reserved_usd, entry.requests) == (6.0, 3.0, 1)
    assert reserve(conn, 1.5, other, now=later) is None  # 6 + 3 + 1.5 > 10: nothing was given back
    # The worker is now known gone, for `status` too.
    assert conn.execute("SELECT exited_at FROM worker_heartbeat WHERE id = ?", (dead,)).fetchone() == (later,)


def test_a_reclaimed_hold_is_kept_marked_for_a_week_then_pruned(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    held = reserve(conn, 4.0, worker)
    assert held is not None
    gone_at = NOW + DEAD_AFTER_S + 1
    reserve(conn, 1.0, worker, now=gone_at, gone=frozenset({100}))
    marked = "SELECT reclaimed_at FROM budget_reservation WHERE id = ?"
    assert conn.execute(marked, (held,)).fetchall() == [(gone_at,)]
    reserve(conn, 0.1, worker, now=gone_at + RECLAIMED_KEPT_S)
    assert conn.execute(marked, (held,)).fetchall() == [(gone_at,)]
    reserve(conn, 0.1, worker, now=gone_at + RECLAIMED_KEPT_S + 1)
    assert conn.execute(marked, (held,)).fetchall() == []
    assert read_ledger(conn, MONTH)[0].spent_usd == 4.0 + 1.0 + 0.1  # each charged, none given back


def test_facts_read_together_and_attempts_pruned_to_the_window(conn: sqlite3.Connection) -> None:
    old = AttemptRecord("local", NOW - 120, 50.0, True)
    recent = [AttemptRecord("local", NOW - 5, 80.0, False), AttemptRecord("cloud", NOW - 1, None, True)]
    append_attempts(conn, [old], keep_since=NOW - 600)
    append_attempts(conn, recent, keep_since=NOW - 60)
    assert conn.execute("SELECT COUNT(*) FROM adaptive_observation").fetchone()[0] == 2
    start_cooldown(conn, "local", NOW + 10)
    record_spend(conn, [("cloud", MONTH, Settlement(2.0))])
    facts = read_provider_facts(conn, ["local", "cloud"], month=MONTH, attempts_since=NOW - 60)
    assert facts.attempts == tuple(recent)
    assert facts.cooldown_until == {"local": NOW + 10}
    assert facts.ledger["cloud"].spent_usd == 2.0
    assert facts.ledger["local"] == LedgerEntry("local", MONTH)
    assert facts.health == {}


def test_migration_from_the_previous_schema_keeps_heartbeats(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0])
    old.execute("INSERT INTO worker_heartbeat (pid, started_at, last_seen, requests) VALUES (7, 1, 2, 3)")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()

    assert state_admin(path).migrate() == 1
    conn = connect(path, create=False)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT pid, requests FROM worker_heartbeat").fetchall() == [(7, 3)]
        assert read_ledger(conn, MONTH) == []
    finally:
        conn.close()


def test_a_process_that_was_reaped_no_longer_exists() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    assert process_exists(os.getpid())
    assert process_exists(1)  # init: exists whoever we run as
    assert not process_exists(int(child.stdout))  # reaped by run(); a reuse this soon is all but impossible
    assert not process_exists(0) and not process_exists(-1)


def test_migration_keeps_holds_in_flight_as_holds(tmp_path: Path) -> None:
    path = tmp_path / "v6.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:6]:
        old.executescript(script)
    old.execute(
        "INSERT INTO budget_reservation (provider, month, amount_usd, worker_id, expires_at)"
        " VALUES ('claude', ?, 2.5, 1, ?)",
        (MONTH, NOW + 600),
    )
    old.execute("PRAGMA user_version = 6")
    old.commit()
    old.close()

    assert state_admin(path).migrate() == 6
    conn = connect(path, create=False)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        [entry] = read_ledger(conn, MONTH)
        assert (entry.spent_usd, entry.reserved_usd) == (0.0, 2.5)
    finally:
        conn.close()
