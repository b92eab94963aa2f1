"""write_transaction against a real state file that runs out of room."""

from __future__ import annotations

import sqlite3

import pytest

from coderouter_supervisor.state.connection import write_transaction


def _fill(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS filler (blob TEXT)")
    for _ in range(1000):
        conn.execute("INSERT INTO filler VALUES (?)", ("x" * 4000,))


def test_a_full_database_reports_itself_not_the_failed_rollback(conn: sqlite3.Connection) -> None:
    # SQLite rolls the transaction back itself on SQLITE_FULL; our ROLLBACK then has nothing to undo.
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        write_transaction(conn, _fill)

    assert not conn.in_transaction
    assert write_transaction(conn, lambda c: c.execute("SELECT 1").fetchone()[0]) == 1


def test_an_error_inside_the_transaction_rolls_it_back(conn: sqlite3.Connection) -> None:
    def half_then_fail(c: sqlite3.Connection) -> None:
        c.execute("CREATE TABLE half (x INTEGER)")
        raise ValueError("op failed")

    with pytest.raises(ValueError, match="op failed"):
        write_transaction(conn, half_then_fail)

    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0
