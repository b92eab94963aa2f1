"""Which state backend a location names (no store is opened here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderouter_supervisor.state import StateUnavailable, state_admin
from coderouter_supervisor.state.backends import backend_kind


@pytest.mark.parametrize(
    "location",
    [
        pytest.param(Path("/var/lib/coderouter/state.db"), id="path"),
        pytest.param("relative/state.db", id="relative-text"),
        pytest.param("/srv/odd:name/state.db", id="colon-in-a-path"),
    ],
)
def test_a_file_path_is_sqlite(location: Path | str) -> None:
    assert backend_kind(location) == "sqlite"


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("postgresql://gateway@db.lan:5432/coderouter", id="postgresql"),
        pytest.param("postgres://gateway@db.lan/coderouter?sslmode=verify-full", id="postgres-alias"),
        pytest.param("PostgreSQL://gateway@db.lan/coderouter", id="scheme-case"),
    ],
)
def test_a_postgresql_url_is_postgresql(location: str) -> None:
    assert backend_kind(location) == "postgresql"


def test_a_url_of_an_unknown_scheme_is_refused_without_its_password() -> None:
    with pytest.raises(StateUnavailable) as refused:
        state_admin("redis://user:s3cret@db.example:6379/0")
    assert "redis://" in str(refused.value)
    assert "s3cret" not in str(refused.value) and "db.example" not in str(refused.value)


def test_building_the_admin_connects_nothing(tmp_path: Path) -> None:
    state_admin(tmp_path / "absent" / "state.db")
    assert list(tmp_path.iterdir()) == []
