"""Client keys of a team gateway: names, limits and a hash of each key, never the key itself.

Keys are long random tokens, so a plain SHA-256 of the key is as good as a slow password hash here
(nothing to brute-force) and lets every request be checked without cost.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from coderouter_supervisor.state.connection import write_transaction
from coderouter_supervisor.state.errors import StateError
from coderouter_supervisor.state.key_admissions import KeyLimit

# What `keys set` may change: the request limits, the monthly budget, the profiles allowed.
KeySetting = KeyLimit | Literal["monthly_budget_usd", "profiles"]
KeyValue = int | float | tuple[str, ...] | None
_SETTABLE = (*get_args(KeyLimit), "monthly_budget_usd", "profiles")


class KeyNameTaken(StateError):
    """A key of that name exists already (revoked ones too: names stay unique in the history)."""


@dataclass(frozen=True)
class ClientKey:
    name: str
    key_hash: str
    created_at: float
    monthly_budget_usd: float | None = None
    profiles: tuple[str, ...] | None = None  # None: every profile
    admin: bool = False
    revoked_at: float | None = None
    max_concurrent: int | None = None  # requests in flight at once; None: no limit
    requests_per_minute: int | None = None  # admissions in any 60 s; None: no limit

    @property
    def rate_limited(self) -> bool:
        """Whether requests of this key are counted at admission (a write per request)."""
        return self.max_concurrent is not None or self.requests_per_minute is not None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _row(row: tuple[Any, ...]) -> ClientKey:
    name, key_hash, created, budget, profiles, admin, revoked, concurrent, per_minute = row
    return ClientKey(
        str(name),
        str(key_hash),
        float(created),
        None if budget is None else float(budget),
        None if profiles is None else tuple(json.loads(profiles)),
        bool(admin),
        None if revoked is None else float(revoked),
        None if concurrent is None else int(concurrent),
        None if per_minute is None else int(per_minute),
    )


_COLUMNS = (
    "name, key_hash, created_at, monthly_budget_usd, profiles, admin, revoked_at,"
    " max_concurrent, requests_per_minute"
)


def insert_key(placeholder: str) -> str:
    """The INSERT of one key row in the driver's ``placeholder`` style (``?`` or ``%s``)."""
    return f"INSERT INTO client_key ({_COLUMNS}) VALUES ({', '.join([placeholder] * 9)})"  # noqa: S608


def key_values(key: ClientKey) -> tuple[Any, ...]:
    """``key`` as a row of :data:`_COLUMNS`, for either backend."""
    return (
        key.name,
        key.key_hash,
        key.created_at,
        key.monthly_budget_usd,
        None if key.profiles is None else json.dumps(list(key.profiles)),
        key.admin,
        key.revoked_at,
        key.max_concurrent,
        key.requests_per_minute,
    )


def read_keys(conn: sqlite3.Connection) -> list[ClientKey]:
    """Every key, revoked ones too, oldest first."""
    return [_row(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM client_key ORDER BY created_at")]  # noqa: S608


def read_key(conn: sqlite3.Connection, name: str) -> ClientKey | None:
    """The key ``name`` (revoked or not), or None when there is none."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM client_key WHERE name = ?", (name,)).fetchone()  # noqa: S608
    return None if row is None else _row(row)


def add_key(conn: sqlite3.Connection, key: ClientKey) -> None:
    """Store ``key``; raises :class:`KeyNameTaken` when its name is in use."""

    def op(c: sqlite3.Connection) -> None:
        if c.execute("SELECT 1 FROM client_key WHERE name = ?", (key.name,)).fetchone():
            raise KeyNameTaken(f"a key named {key.name!r} exists already (names are never reused)")
        c.execute(insert_key("?"), key_values(key))

    write_transaction(conn, op)


def revoke_key(conn: sqlite3.Connection, name: str, now: float) -> bool:
    """Revoke the key ``name``; False when there is no active key of that name."""

    def op(c: sqlite3.Connection) -> bool:
        cursor = c.execute(
            "UPDATE client_key SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", (now, name)
        )
        return cursor.rowcount > 0

    return write_transaction(conn, op)


def change_key_limits(conn: sqlite3.Connection, name: str, limits: Mapping[KeySetting, KeyValue]) -> bool:
    """Change the given settings of the active key ``name`` (None lifts a limit or budget, or allows
    every profile); False when there is no active key of that name. Every worker applies the change
    within a second."""

    def op(c: sqlite3.Connection) -> bool:
        if not c.execute(
            "SELECT 1 FROM client_key WHERE name = ? AND revoked_at IS NULL", (name,)
        ).fetchone():
            return False
        for column, value in limits.items():
            if column not in _SETTABLE:
                raise ValueError(f"{column!r} is not a key setting")
            stored = json.dumps(list(value)) if isinstance(value, tuple) else value
            c.execute(f"UPDATE client_key SET {column} = ? WHERE name = ?", (stored, name))  # noqa: S608
        return True

    return write_transaction(conn, op)
