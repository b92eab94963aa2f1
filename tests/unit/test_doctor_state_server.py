"""`doctor`'s verdicts on a PostgreSQL state store, from the facts alone."""

from __future__ import annotations

import pytest

from coderouter_supervisor.state import SCHEMA_VERSION, StoreDescription
from coderouter_supervisor.supervisor.commands.doctor.results import Verdict
from coderouter_supervisor.supervisor.commands.doctor.state_server import (
    judge_clock_skew,
    judge_migrations,
    judge_privileges,
)


def store(version: int = SCHEMA_VERSION, without: tuple[str, ...] = ()) -> StoreDescription:
    return StoreDescription("postgresql", "16.4", version, server_time=1000.0, tables_without_access=without)


@pytest.mark.parametrize(
    ("version", "verdict"),
    [
        pytest.param(SCHEMA_VERSION, "OK", id="current"),
        pytest.param(SCHEMA_VERSION - 1, "WARN", id="older-migrated-at-start"),
        pytest.param(0, "WARN", id="never-migrated"),
        pytest.param(SCHEMA_VERSION + 1, "FAIL", id="newer-than-this-install"),
    ],
)
def test_migrations(version: int, verdict: Verdict) -> None:
    assert judge_migrations(store(version)).verdict == verdict


def test_privileges_name_the_tables_out_of_reach() -> None:
    assert judge_privileges(store()).verdict == "OK"
    missing = judge_privileges(store(without=("budget_ledger", "client_key")))
    assert missing.verdict == "FAIL"
    assert "budget_ledger, client_key" in missing.detail and missing.fix is not None


@pytest.mark.parametrize(
    ("server", "box", "verdict"),
    [
        pytest.param(1000.0, 1000.2, "OK", id="in-step"),
        pytest.param(1000.0, 1001.5, "WARN", id="box-ahead"),
        pytest.param(1003.0, 1000.0, "WARN", id="server-ahead"),
        pytest.param(None, 1000.0, "SKIP", id="unknown"),
    ],
)
def test_clock_skew(server: float | None, box: float, verdict: Verdict) -> None:
    assert judge_clock_skew(server, box).verdict == verdict
