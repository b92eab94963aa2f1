"""`doctor`'s verdicts on a PostgreSQL state store: reachable, its version, the user's privileges,
migrations current, and how far the server's clock is from this box's.

The judges are pure; :func:`check_state_server` gathers the facts (one connection) and asks them.
"""

from __future__ import annotations

import time

from coderouter_supervisor.state import (
    SCHEMA_VERSION,
    StateError,
    StateLocation,
    StoreDescription,
    shown_location,
    state_admin,
)
from coderouter_supervisor.supervisor.commands.doctor.results import CheckResult

# Heartbeats are seconds apart and every box judges another's silence by its own clock: a skew past
# a beat makes holds of another box reclaimed early or late.
CLOCK_SKEW_WARN_S = 1.0
_FIX_CLOCK = "keep every box's clock and the server's in step (NTP: systemd-timesyncd or chrony)"


def judge_store(shown: str, store: StoreDescription) -> CheckResult:
    return CheckResult("state store", "OK", f"{shown}: PostgreSQL {store.engine_version}")


def judge_unreachable(error: str) -> CheckResult:
    """``error`` names the store already (password masked); libpq's hints span lines, a check one."""
    return CheckResult(
        "state store",
        "FAIL",
        " ".join(error.split()),
        "start the server, or check the URL, PGPASSWORD / ~/.pgpass and sslmode",
    )


def judge_migrations(store: StoreDescription) -> CheckResult:
    if store.schema_version == SCHEMA_VERSION:
        return CheckResult("state schema", "OK", f"schema version {SCHEMA_VERSION}, current")
    if store.schema_version > SCHEMA_VERSION:
        return CheckResult(
            "state schema",
            "FAIL",
            f"schema version {store.schema_version} is newer than this install's {SCHEMA_VERSION}",
            "upgrade coderouter-supervisor on this box to the version the other boxes run",
        )
    return CheckResult(
        "state schema",
        "WARN",
        f"schema version {store.schema_version}, this install migrates it to {SCHEMA_VERSION} at start",
        "run `coderouter-supervisor start` once (it migrates before any worker starts)",
    )


def judge_privileges(store: StoreDescription) -> CheckResult:
    if not store.tables_without_access:
        return CheckResult("state access", "OK", "the user may read and write every table")
    tables = ", ".join(store.tables_without_access)
    return CheckResult(
        "state access",
        "FAIL",
        f"the user may not read and write: {tables}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO the gateway's user",
    )


def judge_clock_skew(server_time: float | None, box_time: float) -> CheckResult:
    if server_time is None:
        return CheckResult("clock skew", "SKIP", "the server did not report its clock")
    skew = server_time - box_time
    detail = f"server clock {skew:+.3f} s from this box's"
    if abs(skew) > CLOCK_SKEW_WARN_S:
        return CheckResult("clock skew", "WARN", detail, _FIX_CLOCK)
    return CheckResult("clock skew", "OK", detail)


def check_state_server(location: StateLocation) -> list[CheckResult]:
    shown = shown_location(location)
    before = time.time()
    try:
        store = state_admin(location).describe()
    except StateError as exc:
        return [judge_unreachable(str(exc))]
    # The server read its clock somewhere inside the round trip: compare with the middle of it.
    box_time = (before + time.time()) / 2
    return [
        judge_store(shown, store),
        judge_migrations(store),
        judge_privileges(store),
        judge_clock_skew(store.server_time, box_time),
    ]
