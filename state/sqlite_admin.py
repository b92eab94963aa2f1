"""The SQLite state backend's one-off operations (:class:`~.backend.StateAdmin`), each on a connection
opened and closed for it: the CLI and the (forking) arbiter never keep one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from coderouter_supervisor.state import (
    budget_ledger,
    client_keys,
    heartbeats,
    metric_history,
    portable,
    schema,
)
from coderouter_supervisor.state.backend import StoreDescription
from coderouter_supervisor.state.connection import on_own_connection, write_transaction
from coderouter_supervisor.state.heartbeats import WorkerHeartbeat, process_exists


@dataclass(frozen=True)
class SqliteStateAdmin:
    path: Path

    def migrate(self) -> int:
        return schema.migrate_state_file(self.path)

    def describe(self) -> StoreDescription:
        version = on_own_connection(self.path, "read the schema version", schema.schema_version)
        return StoreDescription("sqlite", schema.sqlite_library_version(), version)

    def read_ledger(
        self, month: str, providers: tuple[str, ...] | None = None
    ) -> list[budget_ledger.LedgerEntry]:
        return on_own_connection(
            self.path, "read the budget ledger", lambda c: budget_ledger.read_ledger(c, month, providers)
        )

    def reset_ledger(self, provider: str, month: str) -> budget_ledger.LedgerEntry:
        return on_own_connection(
            self.path, "reset the budget ledger", lambda c: budget_ledger.reset_ledger(c, provider, month)
        )

    def add_key(self, key: client_keys.ClientKey) -> None:
        on_own_connection(self.path, "add the key", lambda c: client_keys.add_key(c, key))

    def revoke_key(self, name: str, now: float) -> bool:
        return on_own_connection(self.path, "revoke the key", lambda c: client_keys.revoke_key(c, name, now))

    def change_key_limits(
        self, name: str, limits: Mapping[client_keys.KeySetting, client_keys.KeyValue]
    ) -> bool:
        return on_own_connection(
            self.path, "change the key's settings", lambda c: client_keys.change_key_limits(c, name, limits)
        )

    def read_keys(self) -> list[client_keys.ClientKey]:
        return on_own_connection(self.path, "read the keys", client_keys.read_keys)

    def read_key(self, name: str) -> client_keys.ClientKey | None:
        return on_own_connection(self.path, "read the key", lambda c: client_keys.read_key(c, name))

    def list_workers(self, now: float, *, include_exited: bool = False) -> list[WorkerHeartbeat]:
        return on_own_connection(
            self.path,
            "read worker heartbeats",
            lambda c: heartbeats.list_workers(c, now, include_exited=include_exited),
        )

    def mark_pid_exited(self, pid: int, now: float) -> None:
        on_own_connection(
            self.path, f"mark worker {pid} exited", lambda c: heartbeats.mark_pid_exited(c, pid, now)
        )

    def mark_gone_workers(
        self, now: float, exists: Callable[[int], bool] = process_exists
    ) -> list[WorkerHeartbeat]:
        return on_own_connection(
            self.path, "mark gone workers exited", lambda c: heartbeats.mark_gone_workers(c, now, exists)
        )

    def read_history(
        self, resolution: metric_history.Resolution, since: float
    ) -> list[metric_history.HistoryPoint]:
        return on_own_connection(
            self.path, "read the metric history", lambda c: metric_history.read_history(c, resolution, since)
        )

    def read_portable(self) -> portable.PortableState:
        # One transaction, so the three reads see one instant (it holds the writer lock briefly).
        return on_own_connection(
            self.path, "read the state to copy", lambda c: write_transaction(c, portable.read_portable)
        )

    def write_portable(self, state: portable.PortableState) -> None:
        on_own_connection(
            self.path,
            "write the copied state",
            lambda c: write_transaction(c, lambda t: portable.write_portable(t, state, "?")),
        )
