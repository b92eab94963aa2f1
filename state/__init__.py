"""Shared state: budgets, provider facts, client keys, heartbeats and metrics every worker agrees on.

Callers go through the backend seam (:mod:`.backend`): :func:`open_state` gives a process its
:class:`StateBackend` (after fork), :func:`state_admin` the one-off operations of the CLI and the
arbiter. A file path is a SQLite store (the embedded default), a ``postgresql://`` URL a PostgreSQL
one (several gateway boxes sharing budgets); this package is the only code that imports ``sqlite3``
or ``psycopg``. The supervisor migrates the store once before any worker starts, and a worker that
finds another schema version refuses to start.
"""

from __future__ import annotations

from coderouter_supervisor.state.backend import StateAdmin, StateBackend, StoreDescription
from coderouter_supervisor.state.backends import (
    StateLocation,
    open_state,
    shown_location,
    state_admin,
    state_file,
    with_password,
)
from coderouter_supervisor.state.budget_ledger import Hold, LedgerEntry, Settled, Settlement
from coderouter_supervisor.state.client_keys import ClientKey, KeyNameTaken, KeySetting, KeyValue
from coderouter_supervisor.state.errors import SchemaMismatch, StateError, StateUnavailable
from coderouter_supervisor.state.heartbeats import DEAD_AFTER_S, HEARTBEAT_INTERVAL_S, WorkerHeartbeat
from coderouter_supervisor.state.hold_reclaim import ReclaimedHold
from coderouter_supervisor.state.key_admissions import Admitted, Refused
from coderouter_supervisor.state.metric_history import (
    RESOLUTION_S,
    RETENTION_S,
    HistoryPoint,
    Resolution,
    Rollup,
)
from coderouter_supervisor.state.metric_series import RecentEvent
from coderouter_supervisor.state.paths import default_state_path
from coderouter_supervisor.state.portable import PortableState
from coderouter_supervisor.state.provider_observations import AttemptRecord, HealthRecord, ProviderFacts
from coderouter_supervisor.state.schema import SCHEMA_VERSION, sqlite_library_version
from coderouter_supervisor.state.series_labels import Labels, SeriesKey
from coderouter_supervisor.state.sqlite_store import SqliteStateStore
from coderouter_supervisor.state.wal_checkpoint import wal_bytes

__all__ = [
    "DEAD_AFTER_S",
    "HEARTBEAT_INTERVAL_S",
    "RESOLUTION_S",
    "RETENTION_S",
    "SCHEMA_VERSION",
    "Admitted",
    "AttemptRecord",
    "ClientKey",
    "HealthRecord",
    "HistoryPoint",
    "Hold",
    "KeyNameTaken",
    "KeySetting",
    "KeyValue",
    "Labels",
    "LedgerEntry",
    "PortableState",
    "ProviderFacts",
    "RecentEvent",
    "ReclaimedHold",
    "Refused",
    "Resolution",
    "Rollup",
    "SchemaMismatch",
    "SeriesKey",
    "Settled",
    "Settlement",
    "SqliteStateStore",
    "StateAdmin",
    "StateBackend",
    "StateError",
    "StateLocation",
    "StateUnavailable",
    "StoreDescription",
    "WorkerHeartbeat",
    "default_state_path",
    "open_state",
    "shown_location",
    "sqlite_library_version",
    "state_admin",
    "state_file",
    "wal_bytes",
    "with_password",
]
