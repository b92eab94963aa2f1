"""Budget ledger and provider facts in a real state file (SQLite under tmp_path), times injected."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from coderouter_supervisor.state import (
    DEAD_AFTER_S,
    AttemptRecord,
    HealthRecord,
    LedgerEntry,
    Settlement,
    migrate_state_file,
    read_ledger,
    reset_ledger,
)
from coderouter_supervisor.state.budget_ledger import (
    ledger_month,
    record_spend,
    reserve_spend,
    reset_month,
    settle_spend,
)
from coderouter_supervisor.state.connection import connect
from coderouter_supervisor.state.heartbeats import register_worker
from coderouter_supervisor.state.provider_facts import (
    append_attempts,
    read_provider_facts,
    start_cooldown,
    update_health,
)
from coderouter_supervisor.state.schema import MIGRATIONS, SCHEMA_VERSION

NOW = 1_764_590_400.0  # 2025-12-01T12:00:00Z
MONTH = "2025-12"


def reserve(
    conn: sqlite3.Connection, amount: float, worker: int, *, cap: float = 10.0, now: float = NOW
) -> int | None:
    return reserve_spend(
        conn,
        provider="claude",
        month=MONTH,
        amount_usd=amount,
        cap_usd=cap,
        worker_id=worker,
        now=now,
        hold_s=600,
    )


def test_reservations_and_spend_never_pass_the_cap(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    first = reserve(conn, 4.0, worker)
    second = reserve(conn, 4.0, worker)
    assert first is not None and second is not None
    assert reserve(conn, 4.0, worker) is None  # 4 + 4 + 4 > 10
    settle_spend(conn, first, "claude", MONTH, Settlement(1.5, 100, 20))
    third = reserve(conn, 4.0, worker)  # 1.5 settled + 4 held + 4 = 9.5
    assert third is not None
    [entry] = ledger_month(conn, MONTH)
    assert entry == LedgerEntry("claude", MONTH, 1.5, 8.0, 2, 100, 20, 1)


def test_a_failed_attempt_releases_its_hold_without_spend(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    held = reserve(conn, 9.0, worker)
    assert held is not None
    settle_spend(conn, held, "claude", MONTH, None)
    assert ledger_month(conn, MONTH) == []
    assert reserve(conn, 9.0, worker) is not None


def test_reservations_of_a_dead_worker_are_reclaimed(conn: sqlite3.Connection) -> None:
    dead = register_worker(conn, 100, NOW)
    alive = register_worker(conn, 200, NOW)
    assert reserve(conn, 9.0, dead) is not None
    assert reserve(conn, 9.0, alive) is None
    later = NOW + DEAD_AFTER_S + 1
    conn.execute(
        "UPDATE worker_heartbeat SET last_seen = ? WHERE id = ?", (later, alive)
    )  # only `alive` beats
    assert reserve(conn, 9.0, alive, now=later) is not None


def test_a_worker_that_beats_seldom_keeps_its_reservation_between_beats(conn: sqlite3.Connection) -> None:
    slow = register_worker(conn, 100, NOW, beat_interval_s=10.0)
    other = register_worker(conn, 200, NOW)
    assert reserve(conn, 9.0, slow) is not None
    between_beats = NOW + DEAD_AFTER_S + 5
    assert reserve(conn, 9.0, other, now=between_beats) is None  # the slow worker's hold stands
    three_missed = NOW + 31
    conn.execute("UPDATE worker_heartbeat SET last_seen = ? WHERE id = ?", (three_missed, other))
    assert reserve(conn, 9.0, other, now=three_missed) is not None


def test_expired_reservations_are_reclaimed(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    assert reserve(conn, 9.0, worker) is not None
    later = NOW + 601
    conn.execute("UPDATE worker_heartbeat SET last_seen = ?", (later,))
    assert reserve(conn, 9.0, worker, now=later) is not None


def test_spend_settled_after_its_reservation_was_reclaimed_still_counts(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    held = reserve(conn, 2.0, worker)
    assert held is not None
    conn.execute("DELETE FROM budget_reservation")
    settle_spend(conn, held, "claude", MONTH, Settlement(1.25))
    assert ledger_month(conn, MONTH)[0].spent_usd == 1.25


def test_a_new_month_starts_a_fresh_ledger_and_keeps_the_old_one(conn: sqlite3.Connection) -> None:
    record_spend(conn, [("claude", "2025-11", Settlement(9.5, 10, 10))])
    record_spend(conn, [("claude", MONTH, Settlement(0.5))])
    assert [e.spent_usd for e in ledger_month(conn, "2025-11")] == [9.5]
    assert [e.spent_usd for e in ledger_month(conn, MONTH)] == [0.5]
    assert ledger_month(conn, "2026-01", ("claude",)) == [LedgerEntry("claude", "2026-01")]


def test_reset_clears_one_provider_one_month(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    record_spend(conn, [("claude", MONTH, Settlement(3.0))])
    record_spend(conn, [("claude", "2025-11", Settlement(7.0))])
    record_spend(conn, [("gpt", MONTH, Settlement(1.0))])
    reserve(conn, 1.0, worker)
    cleared = reset_month(conn, "claude", MONTH)
    assert (cleared.spent_usd, cleared.reserved_usd) == (3.0, 1.0)
    assert [e.provider for e in ledger_month(conn, MONTH)] == ["gpt"]
    assert ledger_month(conn, "2025-11")[0].spent_usd == 7.0


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
    [entry] = ledger_month(check, MONTH)
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

    assert migrate_state_file(path) == 1
    conn = connect(path, create=False)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("SELECT pid, requests FROM worker_heartbeat").fetchall() == [(7, 3)]
        assert ledger_month(conn, MONTH) == []
    finally:
        conn.close()


def test_path_level_read_and_reset_for_the_cli(db: Path) -> None:
    conn = connect(db, create=False)
    record_spend(conn, [("claude", MONTH, Settlement(2.5, 40, 4))])
    conn.close()
    assert read_ledger(db, MONTH, ("claude", "gpt")) == [
        LedgerEntry("claude", MONTH, 2.5, 0.0, 0, 40, 4, 1),
        LedgerEntry("gpt", MONTH),
    ]
    assert reset_ledger(db, "claude", MONTH).spent_usd == 2.5
    assert read_ledger(db, MONTH) == []
