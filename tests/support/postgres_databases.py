"""One throwaway PostgreSQL server per test session (``postgres``), and a fresh database on it per test.

Creating a database copies ``template0``: tens of milliseconds, so every test gets a never-migrated
store of its own, as SQLite tests get a file under ``tmp_path``, and nothing leaks between tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import psycopg
import pytest

from support.postgres import PostgresServer, postgres_server

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def database_url(server: PostgresServer, name: str, *, password: bool = True) -> str:
    """The URL of database ``name`` on ``server``."""
    return server.url(password=password).rsplit("/", 1)[0] + f"/{name}"


def fresh_database(server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """The URL of a new, empty database on ``server``, dropped when ``request``'s test ends."""
    name = f"state_{next(_numbers)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")

    def drop() -> None:
        if server.process is None:
            return  # a test that stopped the server for good took its databases with it
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    request.addfinalizer(drop)
    return database_url(server, name)
