"""When a worker that holds something counts as gone: the decision both state backends take."""

from __future__ import annotations

import pytest

from coderouter_supervisor.state.worker_liveness import LastSeen, this_box, worker_gone

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
