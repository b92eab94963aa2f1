"""Per-client-key concurrency and requests-per-minute limits, exact across workers.

:func:`admit_request` counts the key's requests in flight and its admissions of the last
:data:`WINDOW_S` seconds and either records this admission or says which limit refused it, checked
and written in one ``BEGIN IMMEDIATE`` transaction, so no number of workers can exceed a limit.

A request in flight holds its row until :func:`release_request` (idempotent) or until its hold
expires. Rows of a worker whose heartbeat is stale stop counting as in flight; they still count
towards the minute they were admitted in, because those requests did reach the gateway. A slot is
not money: giving a paused worker's slots back early at worst lets a key run a few requests more at
once, so slots go by heartbeat, unlike budget holds (see :mod:`.budget_ledger`). Rows that no longer
count for anything are pruned by the next admission of any key. A key without a concurrency limit is
admitted already released, so its requests cost one write, not two.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from typing import Literal

from coderouter_supervisor.state.connection import write_transaction
from coderouter_supervisor.state.heartbeats import LIVE_WORKER_IDS

WINDOW_S = 60.0

KeyLimit = Literal["max_concurrent", "requests_per_minute"]


@dataclass(frozen=True)
class Admitted:
    """The request may go on. ``held``: it occupies a slot until released (``admission_id``)."""

    admission_id: int
    held: bool


@dataclass(frozen=True)
class Refused:
    """The key is at ``limit`` (of ``value``); ``retry_after_s`` is whole seconds, at least 1."""

    limit: KeyLimit
    value: int
    retry_after_s: float


@dataclass(frozen=True)
class KeyLoad:
    """A key's requests in flight (on live workers) and its admissions in the last minute."""

    in_flight: int
    last_minute: int


_IN_FLIGHT = f"""
    SELECT COUNT(*) FROM key_admission
    WHERE key_name = ? AND released_at IS NULL AND expires_at >= ?
      AND worker_id IN ({LIVE_WORKER_IDS})
"""  # noqa: S608 (constant SQL, no input)


def _in_flight(conn: sqlite3.Connection, key_name: str, now: float) -> int:
    return int(conn.execute(_IN_FLIGHT, (key_name, now, now)).fetchone()[0])


def _last_minute(conn: sqlite3.Connection, key_name: str, now: float) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM key_admission WHERE key_name = ? AND admitted_at > ?",
        (key_name, now - WINDOW_S),
    ).fetchone()
    return int(row[0])


def _prune(conn: sqlite3.Connection, now: float) -> None:
    """Drop rows older than the window that hold nothing (released, expired or of a dead worker)."""
    conn.execute(
        f"""
        DELETE FROM key_admission
        WHERE admitted_at <= ?
          AND (released_at IS NOT NULL OR expires_at < ? OR worker_id NOT IN ({LIVE_WORKER_IDS}))
        """,  # noqa: S608 (constant SQL, no input)
        (now - WINDOW_S, now, now),
    )


def _minute_frees_up_in(c: sqlite3.Connection, key_name: str, now: float, admitted: int, limit: int) -> float:
    # Below the limit again once the (admitted - limit + 1)-th oldest admission of the window ages out.
    row = c.execute(
        "SELECT admitted_at FROM key_admission WHERE key_name = ? AND admitted_at > ?"
        " ORDER BY admitted_at LIMIT 1 OFFSET ?",
        (key_name, now - WINDOW_S, admitted - limit),
    ).fetchone()
    wait = float(row[0]) + WINDOW_S - now
    return float(max(1, math.ceil(wait)))


def admit_request(
    conn: sqlite3.Connection,
    *,
    key_name: str,
    max_concurrent: int | None,
    requests_per_minute: int | None,
    worker_id: int,
    now: float,
    hold_s: float,
) -> Admitted | Refused:
    """Admit one request of ``key_name`` under its limits (None: no such limit), or refuse it.

    The per-minute limit is checked first: when both are reached, waiting for a slot would not help.
    A refusal records nothing. Admitted with ``held`` only when ``max_concurrent`` is set.
    """

    def op(c: sqlite3.Connection) -> Admitted | Refused:
        _prune(c, now)
        if requests_per_minute is not None:
            admitted = _last_minute(c, key_name, now)
            if admitted >= requests_per_minute:
                wait = _minute_frees_up_in(c, key_name, now, admitted, requests_per_minute)
                return Refused("requests_per_minute", requests_per_minute, wait)
        if max_concurrent is not None and _in_flight(c, key_name, now) >= max_concurrent:
            return Refused("max_concurrent", max_concurrent, 1.0)
        held = max_concurrent is not None
        cursor = c.execute(
            "INSERT INTO key_admission (key_name, admitted_at, worker_id, expires_at, released_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (key_name, now, worker_id, now + hold_s, None if held else now),
        )
        return Admitted(int(cursor.lastrowid or 0), held)

    return write_transaction(conn, op)


def release_request(conn: sqlite3.Connection, admission_id: int, now: float) -> bool:
    """Free the slot of an admitted request; False when it was free already (idempotent)."""

    def op(c: sqlite3.Connection) -> bool:
        cursor = c.execute(
            "UPDATE key_admission SET released_at = ? WHERE id = ? AND released_at IS NULL",
            (now, admission_id),
        )
        return cursor.rowcount > 0

    return write_transaction(conn, op)


def key_load(conn: sqlite3.Connection, key_name: str, now: float) -> KeyLoad:
    """What :func:`admit_request` would count for ``key_name`` at ``now`` (read only)."""
    return KeyLoad(_in_flight(conn, key_name, now), _last_minute(conn, key_name, now))
