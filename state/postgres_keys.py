"""Client keys and their admissions on PostgreSQL: the rules of :mod:`.client_keys` and
:mod:`.key_admissions`. An admission holds its key's advisory lock while it counts and writes, so a
key's limits hold exactly across every worker of every box; a revocation is one committed row that
every box reads at its next key refresh."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from coderouter_supervisor.state.client_keys import (
    _COLUMNS,
    _SETTABLE,
    ClientKey,
    KeyNameTaken,
    KeySetting,
    KeyValue,
    insert_key,
    key_values,
)
from coderouter_supervisor.state.client_keys import _row as key_of_row
from coderouter_supervisor.state.key_admissions import WINDOW_S, Admitted, Refused
from coderouter_supervisor.state.postgres_connection import advisory_lock
from coderouter_supervisor.state.postgres_workers import LIVE_WORKER_IDS

if TYPE_CHECKING:
    from coderouter_supervisor.state.postgres_connection import Connection


def read_keys(conn: Connection) -> list[ClientKey]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM client_key ORDER BY created_at").fetchall()  # noqa: S608
    return [key_of_row(tuple(r)) for r in rows]


def read_key(conn: Connection, name: str) -> ClientKey | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM client_key WHERE name = %s", (name,)).fetchone()  # noqa: S608
    return None if row is None else key_of_row(tuple(row))


def add_key(conn: Connection, key: ClientKey) -> None:
    added = conn.execute(
        insert_key("%s") + " ON CONFLICT (name) DO NOTHING RETURNING name", key_values(key)
    ).fetchone()
    if added is None:
        raise KeyNameTaken(f"a key named {key.name!r} exists already (names are never reused)")


def revoke_key(conn: Connection, name: str, now: float) -> bool:
    revoked = conn.execute(
        "UPDATE client_key SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL RETURNING name",
        (now, name),
    ).fetchone()
    return revoked is not None


def change_key_limits(conn: Connection, name: str, limits: Mapping[KeySetting, KeyValue]) -> bool:
    if (
        conn.execute(
            "SELECT 1 FROM client_key WHERE name = %s AND revoked_at IS NULL FOR UPDATE", (name,)
        ).fetchone()
        is None
    ):
        return False
    for column, value in limits.items():
        if column not in _SETTABLE:
            raise ValueError(f"{column!r} is not a key setting")
        stored = json.dumps(list(value)) if isinstance(value, tuple) else value
        conn.execute(f"UPDATE client_key SET {column} = %s WHERE name = %s", (stored, name))  # noqa: S608
    return True


def _count(conn: Connection, query: str, params: Mapping[str, object]) -> int:
    row = conn.execute(query, params).fetchone()
    return int(row[0]) if row else 0


_IN_FLIGHT = f"""
    SELECT COUNT(*) FROM key_admission
    WHERE key_name = %(key)s AND released_at IS NULL AND expires_at >= %(now)s
      AND worker_id IN ({LIVE_WORKER_IDS})
"""  # noqa: S608 (constant SQL, no input)
_LAST_MINUTE = "SELECT COUNT(*) FROM key_admission WHERE key_name = %(key)s AND admitted_at > %(since)s"
_PRUNE = f"""
    DELETE FROM key_admission
    WHERE admitted_at <= %(since)s
      AND (released_at IS NOT NULL OR expires_at < %(now)s OR worker_id NOT IN ({LIVE_WORKER_IDS}))
"""  # noqa: S608 (constant SQL, no input)


def admit_request(
    conn: Connection,
    *,
    key_name: str,
    max_concurrent: int | None,
    requests_per_minute: int | None,
    worker_id: int,
    now: float,
    hold_s: float,
) -> Admitted | Refused:
    """Inside a transaction: :func:`.key_admissions.admit_request` across boxes."""
    advisory_lock(conn, "key", key_name)
    window = {"key": key_name, "now": now, "since": now - WINDOW_S}
    conn.execute(_PRUNE, window)
    if requests_per_minute is not None:
        admitted = _count(conn, _LAST_MINUTE, window)
        if admitted >= requests_per_minute:
            row = conn.execute(
                "SELECT admitted_at FROM key_admission WHERE key_name = %s AND admitted_at > %s"
                " ORDER BY admitted_at LIMIT 1 OFFSET %s",
                (key_name, now - WINDOW_S, admitted - requests_per_minute),
            ).fetchone()
            wait = (float(row[0]) if row else now) + WINDOW_S - now
            return Refused("requests_per_minute", requests_per_minute, float(max(1, math.ceil(wait))))
    if max_concurrent is not None and _count(conn, _IN_FLIGHT, window) >= max_concurrent:
        return Refused("max_concurrent", max_concurrent, 1.0)
    held = max_concurrent is not None
    row = conn.execute(
        "INSERT INTO key_admission (key_name, admitted_at, worker_id, expires_at, released_at)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (key_name, now, worker_id, now + hold_s, None if held else now),
    ).fetchone()
    assert row is not None
    return Admitted(int(row[0]), held)


def release_request(conn: Connection, admission_id: int, now: float) -> bool:
    released = conn.execute(
        "UPDATE key_admission SET released_at = %s WHERE id = %s AND released_at IS NULL RETURNING id",
        (now, admission_id),
    ).fetchone()
    return released is not None
