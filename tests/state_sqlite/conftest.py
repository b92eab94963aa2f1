"""A migrated SQLite state file (``db``) and a connection to it (``conn``): tests of the SQLite backend's
internals, beside the backend-neutral contract suite in tests/state_contract/."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from coderouter_supervisor.state import state_admin
from coderouter_supervisor.state.connection import connect


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    state_admin(path).migrate()
    return path


@pytest.fixture
def conn(db: Path) -> Iterator[sqlite3.Connection]:
    connection = connect(db, create=False)
    yield connection
    connection.close()
