"""Per-key concurrency and requests-per-minute admissions in a real state file (SQLite under tmp_path)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from coderouter_supervisor.state import (
    DEAD_AFTER_S,
    Admitted,
    Refused,
    state_admin,
)
from coderouter_supervisor.state.heartbeats import mark_worker_exited, record_heartbeat, register_worker
from coderouter_supervisor.state.key_admissions import (
    WINDOW_S,
    KeyLoad,
    admit_request,
    key_load,
    release_request,
)
from coderouter_supervisor.state.schema import MIGRATIONS, SCHEMA_VERSION

NOW = 1_764_590_400.0  # 2025-12-01T12:00:00Z
HOLD_S = 3600.0


def admit(
    conn: sqlite3.Connection,
    worker: int,
    *,
    now: float = NOW,
    key: str = "alice",
    concurrent: int | None = None,
    per_minute: int | None = None,
) -> Admitted | Refused:
    return admit_request(
        conn,
        key_name=key,
        max_concurrent=concurrent,
        requests_per_minute=per_minute,
        worker_id=worker,
        now=now,
        hold_s=HOLD_S,
    )


def rows(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM key_admission").fetchone()[0])


@pytest.mark.parametrize(
    ("refused_at", "retry_after"),
    [
        pytest.param(NOW + 30.0, 30.0, id="whole-seconds"),
        pytest.param(NOW + 30.4, 30.0, id="rounded-up"),
        pytest.param(NOW + 59.5, 1.0, id="at-least-one"),
    ],
)
def test_per_minute_limit_waits_for_the_oldest_admission_to_age_out(
    conn: sqlite3.Connection, refused_at: float, retry_after: float
) -> None:
    worker = register_worker(conn, 100, NOW)
    conn.execute("UPDATE worker_heartbeat SET last_seen = ?", (refused_at,))
    for offset in (0.0, 10.0, 20.0):
        assert isinstance(admit(conn, worker, per_minute=3, now=NOW + offset), Admitted)
    assert admit(conn, worker, per_minute=3, now=refused_at) == Refused("requests_per_minute", 3, retry_after)
    assert isinstance(admit(conn, worker, key="bob", per_minute=3, now=refused_at), Admitted)
    # The first admission is WINDOW_S old: exactly one more fits, then the second one must age out.
    assert isinstance(admit(conn, worker, per_minute=3, now=NOW + WINDOW_S), Admitted)
    assert admit(conn, worker, per_minute=3, now=NOW + WINDOW_S) == Refused("requests_per_minute", 3, 10.0)


def test_a_lowered_per_minute_limit_waits_for_enough_admissions_to_age_out(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    for offset in (0.0, 10.0, 20.0, 30.0):
        assert isinstance(admit(conn, worker, per_minute=10, now=NOW + offset), Admitted)
    # 4 in the window, limit now 2: below it once the 3rd oldest (at +20) is 60 s old.
    assert admit(conn, worker, per_minute=2, now=NOW + 40) == Refused("requests_per_minute", 2, 40.0)


def test_per_minute_refusal_wins_when_both_limits_are_reached(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    assert isinstance(admit(conn, worker, concurrent=1, per_minute=1), Admitted)
    assert admit(conn, worker, concurrent=1, per_minute=1, now=NOW + 5) == Refused(
        "requests_per_minute", 1, 55.0
    )


def test_a_key_without_a_concurrency_limit_holds_no_slot(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    admitted = admit(conn, worker, per_minute=100)
    assert isinstance(admitted, Admitted) and not admitted.held
    assert key_load(conn, "alice", NOW) == KeyLoad(in_flight=0, last_minute=1)
    assert release_request(conn, admitted.admission_id, NOW) is False


def test_slots_of_a_dead_worker_are_reclaimed_but_its_admissions_still_count(
    conn: sqlite3.Connection,
) -> None:
    dead = register_worker(conn, 100, NOW)
    alive = register_worker(conn, 200, NOW)
    assert isinstance(admit(conn, dead, concurrent=2, per_minute=3), Admitted)
    assert isinstance(admit(conn, dead, concurrent=2, per_minute=3), Admitted)
    assert admit(conn, alive, concurrent=2, per_minute=3) == Refused("max_concurrent", 2, 1.0)

    later = NOW + DEAD_AFTER_S + 1
    record_heartbeat(conn, alive, later, 0)  # only `alive` beats
    assert key_load(conn, "alice", later) == KeyLoad(in_flight=0, last_minute=2)
    assert isinstance(admit(conn, alive, concurrent=2, per_minute=3, now=later), Admitted)
    assert admit(conn, alive, concurrent=2, per_minute=3, now=later) == Refused(
        "requests_per_minute", 3, WINDOW_S - DEAD_AFTER_S - 1
    )


def test_slots_of_an_exited_worker_are_free_at_once(conn: sqlite3.Connection) -> None:
    gone = register_worker(conn, 100, NOW)
    other = register_worker(conn, 200, NOW)
    assert isinstance(admit(conn, gone, concurrent=1), Admitted)
    assert admit(conn, other, concurrent=1, now=NOW + 1) == Refused("max_concurrent", 1, 1.0)
    mark_worker_exited(conn, gone, NOW + 1, 1)
    assert isinstance(admit(conn, other, concurrent=1, now=NOW + 1), Admitted)


def test_an_expired_hold_stops_counting(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    assert isinstance(admit(conn, worker, concurrent=1), Admitted)
    later = NOW + HOLD_S + 1
    record_heartbeat(conn, worker, later, 0)
    assert isinstance(admit(conn, worker, concurrent=1, now=later), Admitted)


def test_admissions_prune_rows_that_no_longer_count(conn: sqlite3.Connection) -> None:
    worker = register_worker(conn, 100, NOW)
    released = admit(conn, worker, concurrent=5)
    in_flight = admit(conn, worker, concurrent=5)
    counted_only = admit(conn, worker, per_minute=5)
    assert isinstance(released, Admitted) and isinstance(in_flight, Admitted)
    assert isinstance(counted_only, Admitted)
    release_request(conn, released.admission_id, NOW + 1)
    assert rows(conn) == 3

    assert isinstance(admit(conn, worker, key="bob", per_minute=5, now=NOW + WINDOW_S - 1), Admitted)
    assert rows(conn) == 4  # all still inside the window
    record_heartbeat(conn, worker, NOW + WINDOW_S, 0)
    assert isinstance(admit(conn, worker, key="bob", per_minute=5, now=NOW + WINDOW_S), Admitted)
    # The released and the never-held rows are gone; the slot still in flight stays, and counts.
    remaining = {r[0] for r in conn.execute("SELECT id FROM key_admission")}
    assert in_flight.admission_id in remaining
    assert released.admission_id not in remaining and counted_only.admission_id not in remaining
    assert key_load(conn, "alice", NOW + WINDOW_S) == KeyLoad(in_flight=1, last_minute=0)


def test_migration_from_the_previous_schema_keeps_keys_without_limits(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[: SCHEMA_VERSION - 1]:
        old.executescript(script)
    old.execute(
        "INSERT INTO client_key (name, key_hash, created_at, monthly_budget_usd) VALUES ('a', 'h', 1, 5)"
    )
    old.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    old.commit()
    old.close()

    assert state_admin(path).migrate() == SCHEMA_VERSION - 1
    [key] = state_admin(path).read_keys()
    assert (key.name, key.monthly_budget_usd, key.max_concurrent, key.requests_per_minute) == (
        "a",
        5.0,
        None,
        None,
    )
