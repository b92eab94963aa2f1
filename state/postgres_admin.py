"""The PostgreSQL state backend's one-off operations (:class:`~.backend.StateAdmin`), each one
transaction on a connection opened and closed for it: the CLI and the (forking) arbiter never keep one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coderouter_supervisor.state import (
    portable,
    postgres_keys,
    postgres_ledger,
    postgres_schema,
    postgres_workers,
)
from coderouter_supervisor.state.backend import StoreDescription
from coderouter_supervisor.state.budget_ledger import LedgerEntry
from coderouter_supervisor.state.client_keys import ClientKey, KeySetting, KeyValue
from coderouter_supervisor.state.heartbeats import WorkerHeartbeat, process_exists
from coderouter_supervisor.state.hold_reclaim import this_box
from coderouter_supervisor.state.metric_history import HistoryPoint, Resolution
from coderouter_supervisor.state.postgres_connection import PostgresLocation, on_own_connection

if TYPE_CHECKING:
    from coderouter_supervisor.state.postgres_connection import Connection


@dataclass(frozen=True)
class PostgresStateAdmin:
    """``location`` is the store; ``box`` this machine, whose workers' pids it may look at."""

    location: PostgresLocation
    box: str = field(default_factory=this_box)

    def migrate(self) -> int:
        return on_own_connection(
            self.location, "migrate", lambda c: postgres_schema.apply_migrations(c, self.location.shown)
        )

    def describe(self) -> StoreDescription:
        def read(c: Connection) -> StoreDescription:
            row = c.execute("SHOW server_version").fetchone()
            clock = c.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()
            return StoreDescription(
                "postgresql",
                str(row[0]) if row else "",
                postgres_schema.schema_version(c),
                server_time=float(clock[0]) if clock else None,
                tables_without_access=postgres_schema.tables_without_access(c),
            )

        return on_own_connection(self.location, "read the schema version", read)

    def read_ledger(self, month: str, providers: tuple[str, ...] | None = None) -> list[LedgerEntry]:
        return on_own_connection(
            self.location,
            "read the budget ledger",
            lambda c: postgres_ledger.read_ledger(c, month, providers),
        )

    def read_history(self, resolution: Resolution, since: float) -> list[HistoryPoint]:
        return on_own_connection(
            self.location,
            "read the metric history",
            lambda c: postgres_workers.read_history(c, resolution, since),
        )

    def reset_ledger(self, provider: str, month: str) -> LedgerEntry:
        return on_own_connection(
            self.location,
            "reset the budget ledger",
            lambda c: postgres_ledger.reset_ledger(c, provider, month),
        )

    def add_key(self, key: ClientKey) -> None:
        on_own_connection(self.location, "add the key", lambda c: postgres_keys.add_key(c, key))

    def revoke_key(self, name: str, now: float) -> bool:
        return on_own_connection(
            self.location, "revoke the key", lambda c: postgres_keys.revoke_key(c, name, now)
        )

    def change_key_limits(self, name: str, limits: Mapping[KeySetting, KeyValue]) -> bool:
        return on_own_connection(
            self.location,
            "change the key's settings",
            lambda c: postgres_keys.change_key_limits(c, name, limits),
        )

    def read_keys(self) -> list[ClientKey]:
        return on_own_connection(self.location, "read the keys", postgres_keys.read_keys)

    def read_key(self, name: str) -> ClientKey | None:
        return on_own_connection(self.location, "read the key", lambda c: postgres_keys.read_key(c, name))

    def list_workers(self, now: float, *, include_exited: bool = False) -> list[WorkerHeartbeat]:
        return on_own_connection(
            self.location,
            "read worker heartbeats",
            lambda c: postgres_workers.list_workers(c, now, include_exited=include_exited),
        )

    def mark_pid_exited(self, pid: int, now: float) -> None:
        on_own_connection(
            self.location,
            f"mark worker {pid} exited",
            lambda c: postgres_workers.mark_pid_exited(c, pid, self.box, now),
        )

    def mark_gone_workers(
        self, now: float, exists: Callable[[int], bool] = process_exists
    ) -> list[WorkerHeartbeat]:
        return on_own_connection(
            self.location,
            "mark gone workers exited",
            lambda c: postgres_workers.mark_gone_workers(c, self.box, now, exists),
        )

    def read_portable(self) -> portable.PortableState:
        return on_own_connection(self.location, "read the state to copy", portable.read_portable)

    def write_portable(self, state: portable.PortableState) -> None:
        on_own_connection(
            self.location, "write the copied state", lambda c: portable.write_portable(c, state, "%s")
        )
