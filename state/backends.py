"""Which backend serves a state location: one row per kind, chosen by the location's form.

A file path is SQLite; a ``postgresql://`` (or ``postgres://``) URL is PostgreSQL. A URL
(``scheme://…``) names its backend by its scheme; a scheme without a row
here is refused with a :class:`StateUnavailable` naming only the scheme (a URL may carry a password).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from coderouter_supervisor.state.backend import StateAdmin, StateBackend
from coderouter_supervisor.state.errors import StateUnavailable
from coderouter_supervisor.state.postgres_admin import PostgresStateAdmin
from coderouter_supervisor.state.postgres_connection import PostgresLocation
from coderouter_supervisor.state.postgres_store import PostgresStateStore
from coderouter_supervisor.state.sqlite_admin import SqliteStateAdmin
from coderouter_supervisor.state.sqlite_store import SqliteStateStore

StateLocation = Path | str


@dataclass(frozen=True)
class BackendKind:
    """How to reach one kind of store: a long-lived async handle, and the one-off operations."""

    open: Callable[[StateLocation], Awaitable[StateBackend]]
    admin: Callable[[StateLocation], StateAdmin]


async def _open_sqlite(location: StateLocation) -> StateBackend:
    return await SqliteStateStore.open(Path(location))


async def _open_postgres(location: StateLocation) -> StateBackend:
    return await PostgresStateStore.open(str(location))


BACKENDS: dict[str, BackendKind] = {
    "sqlite": BackendKind(open=_open_sqlite, admin=lambda location: SqliteStateAdmin(Path(location))),
    "postgresql": BackendKind(
        open=_open_postgres, admin=lambda location: PostgresStateAdmin(PostgresLocation(str(location)))
    ),
}


# URL schemes and the backend each names (libpq's two); a location without a scheme is a SQLite file path.
URL_SCHEMES: dict[str, str] = {"postgresql": "postgresql", "postgres": "postgresql"}


def backend_kind(location: StateLocation) -> str:
    """The :data:`BACKENDS` key serving ``location``; raises :class:`StateUnavailable` for none."""
    text = str(location)
    if "://" not in text:
        return "sqlite"
    scheme = text.split("://", 1)[0].lower()
    if scheme not in URL_SCHEMES:
        raise StateUnavailable(f"{scheme}://…: no state backend for this kind of location (use a file path)")
    return URL_SCHEMES[scheme]


def state_file(location: StateLocation) -> Path | None:
    """The SQLite file ``location`` names, or None for a server's URL (no file checks apply)."""
    return Path(location) if backend_kind(location) == "sqlite" else None


def with_password(location: StateLocation, password: str) -> StateLocation:
    """``location`` with ``password`` for its server, unless it names one already; a file is returned
    as it is. The password rides in the URL's query (libpq's ``password``), masked wherever shown."""
    if backend_kind(location) != "postgresql":
        return location
    url = str(location)
    parts = urlsplit(url)
    if parts.password or any(key == "password" for key, _ in parse_qsl(parts.query)):
        return url
    query = "&".join(q for q in (parts.query, urlencode({"password": password})) if q)
    return urlunsplit(parts._replace(query=query))


def shown_location(location: StateLocation) -> str:
    """``location`` as it may be printed, logged or shown: a URL without its password."""
    if backend_kind(location) == "postgresql":
        return PostgresLocation(str(location)).shown
    return str(location)


async def open_state(location: StateLocation) -> StateBackend:
    """Open a long-lived handle on the state at ``location``, in the process (after fork) that uses it.

    Raises :class:`SchemaMismatch` when the store's schema is not this code's (the worker must then
    refuse to start); a store that cannot be reached still opens, see :class:`StateBackend`."""
    return await BACKENDS[backend_kind(location)].open(location)


def state_admin(location: StateLocation) -> StateAdmin:
    """The one-off operations on the state at ``location``; connects nothing until called."""
    return BACKENDS[backend_kind(location)].admin(location)
