"""The ``backend`` fixture: one migrated, empty state store per test, of each backend kind.

Every test here speaks only :class:`StateBackend` and :class:`StateAdmin`, so a second backend runs the
whole suite unchanged by adding a row to :data:`FRESH_LOCATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coderouter_supervisor.state import StateLocation, state_admin

from support.postgres_databases import fresh_database, postgres
from support.state_stores import StoreUnderTest

__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture

# A location no store exists at yet, per backend kind: a file under tmp_path for SQLite, a new
# database on the session's server for PostgreSQL.
FRESH_LOCATIONS: dict[str, Callable[[pytest.FixtureRequest, Path], StateLocation]] = {
    "sqlite": lambda request, tmp_path: tmp_path / "state.db",
    "postgresql": lambda request, tmp_path: fresh_database(request.getfixturevalue("postgres"), request),
}


@pytest.fixture(params=list(FRESH_LOCATIONS))
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreUnderTest]:
    """A store of one kind that was never migrated."""
    kind: str = request.param
    location = FRESH_LOCATIONS[kind](request, tmp_path)
    yield StoreUnderTest(kind, location, state_admin(location))


@pytest.fixture
def backend(fresh_store: StoreUnderTest) -> StoreUnderTest:
    """A migrated, empty store of one kind."""
    fresh_store.admin.migrate()
    return fresh_store
