"""Which budget holds are reclaimed and when a worker counts as gone: the decisions both backends take."""

from __future__ import annotations

import pytest

from coderouter_supervisor.state.hold_reclaim import (
    HoldCandidate,
    LastSeen,
    ReclaimedHold,
    plan_reclaim,
    this_box,
    worker_gone,
)

NOW = 1000.0
ALIVE_PID, DEAD_PID = 11, 22


def exists(pid: int) -> bool:
    return pid == ALIVE_PID


@pytest.mark.parametrize(
    ("seen", "gone"),
    [
        pytest.param(None, True, id="unknown-worker"),
        pytest.param(LastSeen(ALIVE_PID, True, NOW + 5, True), True, id="marked-exited"),
        pytest.param(LastSeen(DEAD_PID, False, NOW + 5, True), False, id="beating-even-if-pid-gone"),
        pytest.param(LastSeen(DEAD_PID, False, NOW, True), False, id="deadline-is-now"),
        pytest.param(LastSeen(ALIVE_PID, False, NOW - 1, True), False, id="silent-here-process-exists"),
        pytest.param(LastSeen(DEAD_PID, False, NOW - 1, True), True, id="silent-here-process-gone"),
        pytest.param(LastSeen(ALIVE_PID, False, NOW - 1, False), True, id="silent-on-another-box"),
        pytest.param(LastSeen(ALIVE_PID, False, NOW + 1, False), False, id="beating-on-another-box"),
    ],
)
def test_worker_gone(seen: LastSeen | None, gone: bool) -> None:
    assert worker_gone(seen, NOW, exists) is gone


def test_this_box_is_stable_within_a_boot() -> None:
    assert this_box() == this_box() != ""


def candidate(
    hold_id: int, worker_id: int, seen: LastSeen | None, expires_at: float = NOW + 60
) -> HoldCandidate:
    return HoldCandidate(hold_id, "claude", "2025-12", 1.5, worker_id, expires_at, seen)


def test_a_plan_reclaims_by_worker_then_by_expiry_and_asks_once_per_worker() -> None:
    paused = LastSeen(ALIVE_PID, False, NOW - 1, True)
    dead = LastSeen(DEAD_PID, False, NOW - 1, True)
    asked: list[int] = []

    def counting_exists(pid: int) -> bool:
        asked.append(pid)
        return exists(pid)

    plan = plan_reclaim(
        [
            candidate(1, 7, paused),
            candidate(2, 7, paused, expires_at=NOW - 1),
            candidate(3, 8, dead),
            candidate(4, 8, dead),
            candidate(5, 9, LastSeen(ALIVE_PID, True, NOW - 1, True)),
            candidate(6, 10, None),
        ],
        NOW,
        counting_exists,
    )
    assert [(hold_id, hold.worker_id, hold.reason) for hold_id, hold in plan.holds] == [
        (2, 7, "hold-expired"),
        (3, 8, "worker-gone"),
        (4, 8, "worker-gone"),
        (5, 9, "worker-gone"),
        (6, 10, "worker-gone"),
    ]
    assert plan.holds[0][1] == ReclaimedHold("claude", "2025-12", 1.5, 7, "hold-expired")
    assert plan.workers_gone == (8,)  # silent and now known gone; 9 was marked already, 10 is unknown
    assert asked == [ALIVE_PID, DEAD_PID]
