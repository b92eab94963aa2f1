"""Reaching a PostgreSQL state store: its location without the password, a connection, one transaction.

The URL goes to libpq as given, so ``PGPASSWORD``, ``~/.pgpass``, ``sslmode``, ``sslrootcert`` and the
other libpq settings work as libpq documents them. The password never appears in what this package
says: :attr:`PostgresLocation.shown` drops it, and :meth:`PostgresLocation.unavailable` scrubs it from
the driver's messages. ``psycopg`` errors never leave ``state/``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from coderouter_supervisor.state.errors import StateUnavailable

if TYPE_CHECKING:
    import psycopg

    Connection = psycopg.Connection[tuple[Any, ...]]

T = TypeVar("T")

INSTALL_HINT = "pip install 'coderouter-supervisor[postgres]'"
# libpq settings used unless the URL sets them. A box that cannot reach the server gives up connecting
# after 3 s, and a connection whose server vanished without closing it (a cut network, a powered-off
# box) fails within about 10 s instead of TCP's minutes: the state thread waits meanwhile.
DEFAULT_OPTIONS: dict[str, str | int] = {
    "connect_timeout": 3,
    "application_name": "coderouter-supervisor",
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # ms: unacknowledged writes
}
# Serialisation failures and deadlocks are retried this many times before the caller hears of them.
TRANSACTION_ATTEMPTS = 5
# SQLSTATEs of a transaction that lost a race and may simply run again: serialization_failure,
# deadlock_detected.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def driver() -> ModuleType:
    """The ``psycopg`` module; raises :class:`StateUnavailable` naming the extra that installs it."""
    try:
        return importlib.import_module("psycopg")
    except ImportError as exc:
        raise StateUnavailable(
            f"the PostgreSQL state backend needs the psycopg driver: {INSTALL_HINT}", whole_file=True
        ) from exc


@dataclass(frozen=True)
class PostgresLocation:
    """A ``postgresql://`` URL: ``url`` for libpq, ``shown`` (no password) for everything else."""

    url: str = field(repr=False)
    shown: str = field(init=False)
    _secrets: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        secrets = [value for key, value in query if key == "password" and value]
        if parts.password:
            secrets.append(parts.password)
        host = parts.netloc.rsplit("@", 1)[-1]
        user = f"{parts.username}@" if parts.username else ""
        kept = urlencode([(key, value) for key, value in query if key != "password"])
        object.__setattr__(self, "shown", urlunsplit((parts.scheme, user + host, parts.path, kept, "")))
        object.__setattr__(self, "_secrets", tuple(secrets))

    def __str__(self) -> str:
        return self.shown

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the password replaced."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def unavailable(self, what: str, cause: BaseException, *, whole_store: bool) -> StateUnavailable:
        return StateUnavailable(
            f"{self.shown}: {what} ({self.scrub(str(cause).strip())})", whole_file=whole_store
        )

    def connect(self) -> Connection:
        """A new autocommit connection (each transaction says ``BEGIN`` through :func:`run_transaction`).
        Raises :class:`StateUnavailable` when the server cannot be reached or refuses us."""
        psycopg = driver()
        given = {key for key, _ in parse_qsl(urlsplit(self.url).query)}
        options: dict[str, Any] = {key: value for key, value in DEFAULT_OPTIONS.items() if key not in given}
        try:
            conn: Connection = psycopg.connect(self.url, autocommit=True, **options)
        except psycopg.Error as exc:
            raise self.unavailable("cannot connect", exc, whole_store=True) from exc
        return conn


def run_transaction(conn: Connection, op: Callable[[Connection], T]) -> T:
    """Run ``op`` in one transaction, again (up to :data:`TRANSACTION_ATTEMPTS` times) when it lost a
    race to another transaction, so such failures never reach the caller. ``op`` must be safe to run
    again: a failed attempt has rolled back."""
    psycopg = driver()
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            with conn.transaction():
                return op(conn)
        except psycopg.Error as exc:
            if exc.sqlstate not in _RETRYABLE_SQLSTATES or attempt == TRANSACTION_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def advisory_lock(conn: Connection, *names: str) -> None:
    """Hold, until this transaction ends, the lock named by ``names``: what serialises the
    read-check-write transactions on one ledger entry, key or provider across every box."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("\x1f".join(names),))


def on_own_connection(location: PostgresLocation, what: str, op: Callable[[Connection], T]) -> T:
    """Run ``op`` as one transaction on a connection opened and closed for it: for the CLI and the
    arbiter, which must not keep one. Driver errors become :class:`StateUnavailable` saying it could
    not ``what``."""
    psycopg = driver()
    conn = location.connect()
    try:
        return run_transaction(conn, op)
    except psycopg.Error as exc:
        raise location.unavailable(f"cannot {what}", exc, whole_store=conn.broken) from exc
    finally:
        conn.close()
