"""Budget ledger and provider facts in a real state file (SQLite under tmp_path), times injected."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from coderouter_supervisor.state import (
    DEAD_AFTER_S,
    AttemptRecord,
    HealthRecord,
    LedgerEntry,
    Settlement,
    state_admin,
)
from coderouter_supervisor.state.budget_ledger import (
    RECLAIMED_KEPT_S,
    ReclaimedHold,
    Settled,
    read_ledger,
    record_spend,
    reserve_spend,
    reset_ledger,
    settle_spend,
)
from coderouter_supervisor.state.connection import connect
from coderouter_supervisor.state.heartbeats import process_exists, register_worker
from coderouter_supervisor.state.provider_observations import (
    append_attempts,
    read_provider_facts,
    start_cooldown,
    update_health,
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


def test_reservations_and_spend_never_pass_the_cap(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    first = reserve(conn, 4.0, worker)
    second = reserve(conn, 4.0, worker)
    assert first is not None and second is not None
    assert reserve(conn, 4.0, worker) is None  # 4 + 4 + 4 > 10
    settle_spend(conn, first, "claude", MONTH, Settlement(1.5, 100, 20))
    third = reserve(conn, 4.0, worker)  # 1.5 settled + 4 held + 4 = 9.5
    assert third is not None
    [entry] = read_ledger(conn, MONTH)
    assert entry == LedgerEntry("claude", MONTH, 1.5, 8.0, 2, 100, 20, 1)


def test_a_failed_attempt_releases_its_hold_without_spend(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    held = reserve(conn, 9.0, worker)
    assert held is not None
    settle_spend(conn, held, "claude", MONTH, None)
    assert read_ledger(conn, MONTH) == []
    assert reserve(conn, 9.0, worker) is not None


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


def test_a_worker_the_arbiter_marked_exited_loses_its_holds_at_once(conn: sqlite3.Connection) -> None:
    killed = register_worker(conn, 100, NOW)
    other = register_worker(conn, 200, NOW)
    assert reserve(conn, 6.0, killed) is not None
    conn.execute("UPDATE worker_heartbeat SET exited_at = ? WHERE id = ?", (NOW + 1, killed))
    assert reserve(conn, 6.0, other, now=NOW + 1) is None  # its heartbeat is fresh, yet 6 is charged
    assert read_ledger(conn, MONTH)[0].spent_usd == 6.0


def test_an_expired_hold_is_charged_at_its_amount(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    assert reserve(conn, 4.0, worker) is not None
    later = NOW + 601
    beat(conn, worker, later)
    assert reserve(conn, 4.0, worker, now=later) is not None
    [entry] = read_ledger(conn, MONTH)
    assert (entry.spent_usd, entry.reserved_usd) == (4.0, 4.0)


def test_a_late_settle_replaces_the_reclaimed_charge_instead_of_adding(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    held = reserve(conn, 4.0, worker)
    released = reserve(conn, 2.0, worker)
    assert held is not None and released is not None
    later = NOW + 601  # both expired while the worker was busy
    assert reserve(conn, 1.0, worker, now=later) is not None
    assert read_ledger(conn, MONTH)[0].spent_usd == 6.0

    assert settle_spend(conn, held, "claude", MONTH, Settlement(1.25, 10, 5)) == Settled(3.25, "reclaimed")
    assert settle_spend(conn, released, "claude", MONTH, None) == Settled(1.25, "reclaimed")
    [entry] = read_ledger(conn, MONTH)
    assert (entry.spent_usd, entry.reserved_usd, entry.requests) == (1.25, 1.0, 1)
    assert (entry.input_tokens, entry.output_tokens) == (10, 5)
    # Settled once: a second settle of the same hold finds it gone and adds nothing more.
    assert settle_spend(conn, held, "claude", MONTH, None) == Settled(1.25, "gone")


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


def test_a_settle_whose_hold_is_gone_is_recorded_even_past_the_cap(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    held = reserve(conn, 2.0, worker)
    assert held is not None
    reserve(conn, 9.0, worker, now=NOW + 601)  # the hold expires and is charged: 2 spent
    reset_ledger(conn, "claude", MONTH)  # cleared by `budget reset`: the marked row is gone too
    record_spend(conn, [("claude", MONTH, Settlement(9.5))])
    assert settle_spend(conn, held, "claude", MONTH, Settlement(1.25)) == Settled(10.75, "gone")
    assert read_ledger(conn, MONTH)[0].spent_usd == 10.75
    assert reserve(conn, 0.01, worker, now=NOW + 602) is None  # past the cap: closed for the month


def test_a_new_month_starts_a_fresh_ledger_and_keeps_the_old_one(conn: sqlite3.Connection) -> None:
    record_spend(conn, [("claude", "2025-11", Settlement(9.5, 10, 10))])
    record_spend(conn, [("claude", MONTH, Settlement(0.5))])
    assert [e.spent_usd for e in read_ledger(conn, "2025-11")] == [9.5]
    assert [e.spent_usd for e in read_ledger(conn, MONTH)] == [0.5]
    assert read_ledger(conn, "2026-01", ("claude",)) == [LedgerEntry("claude", "2026-01")]


def test_reset_clears_one_provider_one_month(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    record_spend(conn, [("claude", MONTH, Settlement(3.0))])
    record_spend(conn, [("claude", "2025-11", Settlement(7.0))])
    record_spend(conn, [("gpt", MONTH, Settlement(1.0))])
    reserve(conn, 1.0, worker)
    cleared = reset_ledger(conn, "claude", MONTH)
    assert (cleared.spent_usd, cleared.reserved_usd) == (3.0, 1.0)
    assert [e.provider for e in read_ledger(conn, MONTH)] == ["gpt"]
    assert read_ledger(conn, "2025-11")[0].spent_usd == 7.0


def test_concurrent_reservations_from_many_connections_hold_the_cap(db: Path) -> None:
    setup = connect(db, create=False)
    workers = [register_worker(setup, pid, NOW) for pid in range(1, 5)]
    setup.close()
    granted: list[int] = []
    lock = threading.Lock()

    def worker_thread(worker: int) -> None:
        own = connect(db, create=False)
        try:
            for _ in range(25):
                held = reserve(own, 0.3, worker)
                if held is not None:
                    settle_spend(own, held, "claude", MONTH, Settlement(0.25))
                    with lock:
                        granted.append(held)
        finally:
            own.close()

    threads = [threading.Thread(target=worker_thread, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    check = connect(db, create=False)
    [entry] = read_ledger(check, MONTH)
    check.close()
    assert entry.spent_usd <= 10.0
    assert entry.requests == len(granted)
    # Alone, 39 fit (39 x 0.25 = 9.75 and 9.75 + 0.3 > 10); holds of the other workers may refuse a
    # few more near the cap, never admit one too many.
    assert 36 <= len(granted) <= 39


def test_health_transition_is_read_modify_write(conn: sqlite3.Connection) -> None:
    def fail(old: HealthRecord | None) -> HealthRecord:
        count = (old.consecutive_failures if old else 0) + 1
        return HealthRecord("local", "degraded" if count >= 2 else "healthy", count, NOW)

    assert update_health(conn, "local", fail) == (None, HealthRecord("local", "healthy", 1, NOW))
    old, new = update_health(conn, "local", fail)
    assert old == HealthRecord("local", "healthy", 1, NOW)
    assert new == HealthRecord("local", "degraded", 2, NOW)


def test_cooldowns_only_grow(conn: sqlite3.Connection) -> None:
    assert start_cooldown(conn, "local", NOW + 120) == NOW + 120
    assert start_cooldown(conn, "local", NOW + 30) == NOW + 120
    assert start_cooldown(conn, "local", NOW + 300) == NOW + 300


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


def test_path_level_read_and_reset_for_the_cli(db: Path) -> None:
    conn = connect(db, create=False)
    record_spend(conn, [("claude", MONTH, Settlement(2.5, 40, 4))])
    conn.close()
    admin = state_admin(db)
    assert admin.read_ledger(MONTH, ("claude", "gpt")) == [
        LedgerEntry("claude", MONTH, 2.5, 0.0, 0, 40, 4, 1),
        LedgerEntry("gpt", MONTH),
    ]
    assert admin.reset_ledger("claude", MONTH).spent_usd == 2.5
    assert admin.read_ledger(MONTH) == []


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
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
        [entry] = read_ledger(conn, MONTH)
        assert (entry.spent_usd, entry.reserved_usd) == (0.0, 2.5)
    finally:
        conn.close()
