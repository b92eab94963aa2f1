"""The async face of the state file for a worker: one connection on one thread.

Every operation is a short synchronous function run whole on the store's single thread,
so a transaction never spans an ``await`` and the event loop never blocks on SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from coderouter_supervisor.state import (
    budget_ledger,
    client_keys,
    heartbeats,
    key_admissions,
    metric_series,
    provider_facts,
    wal_checkpoint,
)
from coderouter_supervisor.state.budget_ledger import Settlement
from coderouter_supervisor.state.connection import connect
from coderouter_supervisor.state.errors import StateUnavailable
from coderouter_supervisor.state.provider_facts import AttemptRecord, HealthRecord, ProviderFacts
from coderouter_supervisor.state.schema import require_current_schema

T = TypeVar("T")


class StateStore:
    """A worker's handle on the shared state file. Open with :meth:`open`."""

    def __init__(self, path: Path, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self.path = path
        self._executor = executor
        self._conn: sqlite3.Connection | None = conn

    @classmethod
    async def open(cls, path: Path) -> StateStore:
        """Connect on a fresh state thread and check the schema.

        Raises :class:`SchemaMismatch` or :class:`StateUnavailable`; the worker must then
        refuse to start.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state")

        def open_checked() -> sqlite3.Connection:
            conn = connect(path, create=False)
            try:
                require_current_schema(conn, path)
            except BaseException:
                conn.close()
                raise
            return conn

        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, open_checked)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(path, executor, conn)

    async def _run(self, op: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise StateUnavailable(f"{self.path}: state store is closed")

        def call() -> T:
            try:
                return op(conn)
            except sqlite3.Error as exc:
                raise StateUnavailable(f"{self.path}: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def register_worker(
        self, pid: int, now: float, beat_interval_s: float = heartbeats.HEARTBEAT_INTERVAL_S
    ) -> int:
        return await self._run(lambda c: heartbeats.register_worker(c, pid, now, beat_interval_s))

    async def record_heartbeat(self, worker_id: int, now: float, requests: int) -> int:
        """Refresh this worker's heartbeat; return the number of live workers."""
        return await self._run(lambda c: heartbeats.record_heartbeat(c, worker_id, now, requests))

    async def mark_worker_exited(self, worker_id: int, now: float, requests: int) -> None:
        await self._run(lambda c: heartbeats.mark_worker_exited(c, worker_id, now, requests))

    async def read_provider_facts(
        self, providers: Sequence[str], *, month: str, attempts_since: float | None
    ) -> ProviderFacts:
        return await self._run(
            lambda c: provider_facts.read_provider_facts(
                c, providers, month=month, attempts_since=attempts_since
            )
        )

    async def reserve_spend(
        self,
        *,
        provider: str,
        month: str,
        amount_usd: float,
        cap_usd: float,
        worker_id: int,
        now: float,
        hold_s: float,
    ) -> budget_ledger.Hold:
        """See :func:`budget_ledger.reserve_spend`."""
        return await self._run(
            lambda c: budget_ledger.reserve_spend(
                c,
                provider=provider,
                month=month,
                amount_usd=amount_usd,
                cap_usd=cap_usd,
                worker_id=worker_id,
                now=now,
                hold_s=hold_s,
            )
        )

    async def settle_spend(
        self, reservation_id: int, provider: str, month: str, settlement: Settlement | None
    ) -> budget_ledger.Settled:
        """See :func:`budget_ledger.settle_spend`."""
        return await self._run(
            lambda c: budget_ledger.settle_spend(c, reservation_id, provider, month, settlement)
        )

    async def record_spend(self, entries: Sequence[tuple[str, str, Settlement]]) -> None:
        await self._run(lambda c: budget_ledger.record_spend(c, entries))

    async def update_health(
        self, provider: str, transition: Callable[[HealthRecord | None], HealthRecord]
    ) -> tuple[HealthRecord | None, HealthRecord]:
        return await self._run(lambda c: provider_facts.update_health(c, provider, transition))

    async def start_cooldown(self, provider: str, until: float) -> float:
        return await self._run(lambda c: provider_facts.start_cooldown(c, provider, until))

    async def append_attempts(self, attempts: Sequence[AttemptRecord], *, keep_since: float) -> None:
        await self._run(lambda c: provider_facts.append_attempts(c, attempts, keep_since=keep_since))

    async def write_metric_series(self, worker_id: int, series: dict[metric_series.SeriesKey, float]) -> None:
        await self._run(lambda c: metric_series.write_series(c, worker_id, series))

    async def metric_totals(self) -> dict[metric_series.SeriesKey, float]:
        return await self._run(metric_series.metric_totals)

    async def append_recent_events(self, events: Sequence[metric_series.RecentEvent]) -> None:
        await self._run(lambda c: metric_series.append_recent_events(c, events))

    async def recent_events(self, limit: int = 50) -> list[metric_series.RecentEvent]:
        return await self._run(lambda c: metric_series.recent_events(c, limit))

    async def read_provider_ledger(self, month: str) -> list[budget_ledger.LedgerEntry]:
        return await self._run(lambda c: budget_ledger.ledger_month(c, month))

    async def list_live_workers(self, now: float) -> list[heartbeats.WorkerHeartbeat]:
        return await self._run(lambda c: heartbeats.live_workers(c, now))

    async def client_keys(self) -> list[client_keys.ClientKey]:
        return await self._run(client_keys.all_keys)

    async def admit_request(
        self,
        *,
        key_name: str,
        max_concurrent: int | None,
        requests_per_minute: int | None,
        worker_id: int,
        now: float,
        hold_s: float,
    ) -> key_admissions.Admitted | key_admissions.Refused:
        """See :func:`key_admissions.admit_request`."""
        return await self._run(
            lambda c: key_admissions.admit_request(
                c,
                key_name=key_name,
                max_concurrent=max_concurrent,
                requests_per_minute=requests_per_minute,
                worker_id=worker_id,
                now=now,
                hold_s=hold_s,
            )
        )

    async def release_request(self, admission_id: int, now: float) -> bool:
        """See :func:`key_admissions.release_request`; idempotent."""
        return await self._run(lambda c: key_admissions.release_request(c, admission_id, now))

    async def checkpoint_wal(self) -> wal_checkpoint.CheckpointOutcome:
        """See :func:`wal_checkpoint.checkpoint_wal`: only the supervisor's checkpointer calls it, on a
        store of its own (it may wait the busy timeout)."""
        return await self._run(wal_checkpoint.checkpoint_wal)

    async def close(self) -> None:
        """Close the connection and stop the state thread. Idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)
