"""StateStatus: which failure /healthz shows, when it clears, and one event per change."""

from __future__ import annotations

import logging

import pytest

from coderouter_supervisor.state import StateUnavailable
from coderouter_supervisor.state.file_identity import FileIdentity, identity_problem
from coderouter_supervisor.worker.telemetry import StateStatus

FULL = StateUnavailable("/s/state.db: database or disk is full", whole_file=True)
NO_TABLE = StateUnavailable("/s/state.db: no such table: budget_reservation")


def test_a_write_that_succeeds_clears_a_whole_file_failure_of_any_operation() -> None:
    status = StateStatus()
    status.failed("reserve", FULL)
    assert status.problem == "reserve: /s/state.db: database or disk is full"

    status.succeeded("read", wrote=False)
    assert status.problem is not None  # reads work on a full disk
    status.succeeded("heartbeat", wrote=True)
    assert status.problem is None


def test_an_operations_own_failure_stays_until_that_operation_succeeds() -> None:
    status = StateStatus()
    status.failed("reserve", NO_TABLE)
    status.succeeded("heartbeat", wrote=True)
    assert status.problem == "reserve: /s/state.db: no such table: budget_reservation"
    status.succeeded("reserve", wrote=True)
    assert status.problem is None


class _Recorded(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_each_change_is_logged_once() -> None:
    logger, recorded = logging.getLogger("coderouter"), _Recorded()
    logger.addHandler(recorded)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        status = StateStatus()
        for _ in range(3):
            status.failed("heartbeat", FULL)
            status.succeeded("read", wrote=False)
        status.succeeded("heartbeat", wrote=True)
        status.succeeded("heartbeat", wrote=True)
    finally:
        logger.removeHandler(recorded)
        logger.setLevel(level)
    logged = [(r.getMessage(), getattr(r, "fields", {}).get("error")) for r in recorded.records]
    assert logged == [
        ("state-unavailable", "/s/state.db: database or disk is full"),
        ("state-recovered", None),
    ]


@pytest.mark.parametrize(
    ("known", "now", "problem"),
    [
        pytest.param(FileIdentity(1, 2), FileIdentity(1, 2), None, id="unchanged"),
        pytest.param(FileIdentity(1, None), FileIdentity(1, 2), None, id="wal-created"),
        pytest.param(FileIdentity(1, 2), FileIdentity(1, None), "the WAL file was deleted", id="wal-deleted"),
        pytest.param(FileIdentity(1, 2), FileIdentity(1, 3), "the WAL file was replaced", id="wal-replaced"),
        pytest.param(
            FileIdentity(1, 2), FileIdentity(None, 2), "the state file was deleted", id="db-deleted"
        ),
        pytest.param(FileIdentity(1, 2), FileIdentity(5, 2), "the state file was replaced", id="db-replaced"),
    ],
)
def test_a_state_file_or_wal_changed_under_the_connection_is_named(
    known: FileIdentity, now: FileIdentity, problem: str | None
) -> None:
    found = identity_problem(known, now)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)
