"""The shared SQLite WAL store: connection, schema migrations and typed accessors.

This package is the only code that imports ``sqlite3``. Every process opens its own
connection after fork; the supervisor migrates the schema once before any worker starts,
and a worker that finds another schema version refuses to start.
"""

from __future__ import annotations

from coderouter_supervisor.state.budget_ledger import (
    Hold,
    LedgerEntry,
    ReclaimedHold,
    Settled,
    Settlement,
    read_ledger,
    reset_ledger,
)
from coderouter_supervisor.state.client_keys import (
    ClientKey,
    KeyNameTaken,
    KeySetting,
    KeyValue,
    change_key_limits,
    read_keys,
    store_key,
    withdraw_key,
)
from coderouter_supervisor.state.errors import SchemaMismatch, StateError, StateUnavailable
from coderouter_supervisor.state.heartbeats import (
    DEAD_AFTER_S,
    HEARTBEAT_INTERVAL_S,
    WorkerHeartbeat,
    list_workers,
    mark_gone_workers,
    mark_pid_exited,
)
from coderouter_supervisor.state.key_admissions import Admitted, KeyLimit, KeyLoad, Refused
from coderouter_supervisor.state.metric_series import RecentEvent
from coderouter_supervisor.state.paths import default_state_path
from coderouter_supervisor.state.provider_facts import AttemptRecord, HealthRecord, ProviderFacts
from coderouter_supervisor.state.schema import SCHEMA_VERSION, migrate_state_file, sqlite_library_version
from coderouter_supervisor.state.store import StateStore
from coderouter_supervisor.state.wal_checkpoint import CheckpointOutcome, wal_bytes

__all__ = [
    "DEAD_AFTER_S",
    "HEARTBEAT_INTERVAL_S",
    "SCHEMA_VERSION",
    "Admitted",
    "AttemptRecord",
    "CheckpointOutcome",
    "ClientKey",
    "HealthRecord",
    "Hold",
    "KeyLimit",
    "KeyLoad",
    "KeyNameTaken",
    "KeySetting",
    "KeyValue",
    "LedgerEntry",
    "ProviderFacts",
    "RecentEvent",
    "ReclaimedHold",
    "Refused",
    "SchemaMismatch",
    "Settled",
    "Settlement",
    "StateError",
    "StateStore",
    "StateUnavailable",
    "WorkerHeartbeat",
    "change_key_limits",
    "default_state_path",
    "list_workers",
    "mark_gone_workers",
    "mark_pid_exited",
    "migrate_state_file",
    "read_keys",
    "read_ledger",
    "reset_ledger",
    "sqlite_library_version",
    "store_key",
    "wal_bytes",
    "withdraw_key",
]
