"""PostgreSQL-only tests of the state backend: ``postgres`` is the session's server, ``database`` a
fresh, never-migrated database on it (its URL, password included)."""

from __future__ import annotations

import pytest

from support.postgres import PostgresServer
from support.postgres_databases import fresh_database, postgres

__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture


@pytest.fixture
def database(postgres: PostgresServer, request: pytest.FixtureRequest) -> str:
    return fresh_database(postgres, request)
