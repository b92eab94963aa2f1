"""The PostgreSQL state backend's async face (:class:`~.backend.StateBackend`): one connection per
process, on one state thread.

Each operation is a short synchronous transaction (the same functions :mod:`.postgres_admin` runs)
run whole on the handle's thread, so the event loop never blocks on the network and the handle and
the CLI share one implementation of every rule. A connection lost with the server (restarted, killed,
unreachable) fails the operation that finds it with :class:`StateUnavailable` (whole store), and the
next operation connects again; while the server stays unreachable, at most one attempt is made every
:data:`RECONNECT_INTERVAL_S`. An operation is never re-sent after its connection broke: its commit may
have landed, and a budget write must not count twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

from coderouter_supervisor.state import postgres_facts, postgres_keys, postgres_ledger, postgres_workers
from coderouter_supervisor.state.budget_ledger import Hold, LedgerEntry, Settled, Settlement
from coderouter_supervisor.state.client_keys import ClientKey
from coderouter_supervisor.state.errors import StateUnavailable
from coderouter_supervisor.state.heartbeats import HEARTBEAT_INTERVAL_S, WorkerHeartbeat, process_exists
from coderouter_supervisor.state.hold_reclaim import this_box
from coderouter_supervisor.state.key_admissions import Admitted, Refused
from coderouter_supervisor.state.metric_history import HistoryPoint, Resolution, Rollup
from coderouter_supervisor.state.metric_series import RecentEvent
from coderouter_supervisor.state.postgres_connection import PostgresLocation, driver, run_transaction
from coderouter_supervisor.state.postgres_schema import require_current_schema
from coderouter_supervisor.state.provider_observations import AttemptRecord, HealthRecord, ProviderFacts
from coderouter_supervisor.state.series_labels import SeriesKey

if TYPE_CHECKING:
    from coderouter_supervisor.state.postgres_connection import Connection

T = TypeVar("T")

# After a failed connection attempt, the next is made no sooner than this: recovery within a heartbeat,
# and a server that is down is not hammered by every request of every worker.
RECONNECT_INTERVAL_S = 1.0


class PostgresStateStore:
    """A process's handle on a PostgreSQL state store. Open with :meth:`open`."""

    def __init__(self, location: PostgresLocation, executor: ThreadPoolExecutor, box: str) -> None:
        self.location = location
        self.box = box
        self._executor = executor
        # Touched only on the state thread once the handle is built.
        self._conn: Connection | None = None
        self._last_error: StateUnavailable | None = None
        self._retry_at = 0.0
        self._closed = False

    @classmethod
    async def open(cls, url: str) -> PostgresStateStore:
        """Connect on a fresh state thread and check the schema.

        Raises :class:`SchemaMismatch` (the worker must refuse to start). A server that cannot be
        reached does not stop the worker: the handle opens without a connection, and its operations
        raise :class:`StateUnavailable` until a connection succeeds."""
        store = cls(
            PostgresLocation(url), ThreadPoolExecutor(max_workers=1, thread_name_prefix="state"), this_box()
        )
        try:
            await asyncio.get_running_loop().run_in_executor(store._executor, store._connection)
        except StateUnavailable:
            pass  # reported by the first operation
        except BaseException:
            store._executor.shutdown(wait=False)
            raise
        return store

    def _connection(self) -> Connection:
        """On the state thread: the open connection, or a new one when none is open and one is due."""
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if self._conn is not None:
            self._conn, self._retry_at = None, 0.0  # lost: connect again at once
        if time.monotonic() < self._retry_at and self._last_error is not None:
            raise StateUnavailable(str(self._last_error), whole_file=True)
        try:
            conn = self.location.connect()
        except StateUnavailable as exc:
            self._last_error, self._retry_at = exc, time.monotonic() + RECONNECT_INTERVAL_S
            raise
        try:
            require_current_schema(conn, self.location.shown)
        except driver().Error as exc:
            conn.close()
            self._last_error = self.location.unavailable(
                "cannot read the schema version", exc, whole_store=True
            )
            self._retry_at = time.monotonic() + RECONNECT_INTERVAL_S
            raise self._last_error from exc
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _call(self, op: Callable[[Connection], T]) -> T:
        """On the state thread: ``op`` as one transaction; driver errors become :class:`StateUnavailable`
        (of the whole store when the connection is lost, which the next call then replaces)."""
        conn = self._connection()
        try:
            return run_transaction(conn, op)
        except driver().Error as exc:
            lost = conn.closed or conn.broken
            if lost:
                conn.close()
                self._conn = None
            raise self.location.unavailable("state operation failed", exc, whole_store=lost) from exc

    async def _run(self, op: Callable[[Connection], T]) -> T:
        if self._closed:
            raise StateUnavailable(f"{self.location.shown}: state store is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._call, op)

    async def check_store(self) -> None:
        """Raise :class:`StateUnavailable` while the server cannot be reached (one round trip; connects
        again when due, so a recovered server passes the next check)."""
        if not self._closed:
            await self._run(lambda c: c.execute("SELECT 1"))

    async def register_worker(
        self, pid: int, now: float, beat_interval_s: float = HEARTBEAT_INTERVAL_S
    ) -> int:
        return await self._run(
            lambda c: postgres_workers.register_worker(c, pid, self.box, now, beat_interval_s)
        )

    async def record_heartbeat(self, worker_id: int, now: float, requests: int) -> int:
        return await self._run(lambda c: postgres_workers.record_heartbeat(c, worker_id, now, requests))

    async def mark_worker_exited(self, worker_id: int, now: float, requests: int) -> None:
        await self._run(lambda c: postgres_workers.mark_worker_exited(c, worker_id, now, requests))

    async def list_workers(self, now: float) -> list[WorkerHeartbeat]:
        return await self._run(lambda c: postgres_workers.list_workers(c, now))

    async def read_provider_facts(
        self, providers: Sequence[str], *, month: str, attempts_since: float | None
    ) -> ProviderFacts:
        return await self._run(
            lambda c: postgres_facts.read_provider_facts(
                c, providers, month=month, attempts_since=attempts_since
            )
        )

    async def update_health(
        self, provider: str, transition: Callable[[HealthRecord | None], HealthRecord]
    ) -> tuple[HealthRecord | None, HealthRecord]:
        return await self._run(lambda c: postgres_facts.update_health(c, provider, transition))

    async def start_cooldown(self, provider: str, until: float) -> float:
        return await self._run(lambda c: postgres_facts.start_cooldown(c, provider, until))

    async def append_attempts(self, attempts: Sequence[AttemptRecord], *, keep_since: float) -> None:
        await self._run(lambda c: postgres_facts.append_attempts(c, attempts, keep_since=keep_since))

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
    ) -> Hold:
        return await self._run(
            lambda c: postgres_ledger.reserve_spend(
                c,
                provider=provider,
                month=month,
                amount_usd=amount_usd,
                cap_usd=cap_usd,
                worker_id=worker_id,
                now=now,
                hold_s=hold_s,
                box=self.box,
                exists=process_exists,
            )
        )

    async def settle_spend(
        self,
        reservation_id: int,
        provider: str,
        month: str,
        settlement: Settlement | None,
        *,
        retry: bool = False,
    ) -> Settled:
        return await self._run(
            lambda c: postgres_ledger.settle_spend(
                c, reservation_id, provider, month, settlement, retry=retry
            )
        )

    async def record_spend(self, entries: Sequence[tuple[str, str, Settlement]]) -> None:
        await self._run(lambda c: postgres_ledger.record_spend(c, entries))

    async def read_ledger(self, month: str) -> list[LedgerEntry]:
        return await self._run(lambda c: postgres_ledger.read_ledger(c, month))

    async def read_keys(self) -> list[ClientKey]:
        return await self._run(postgres_keys.read_keys)

    async def admit_request(
        self,
        *,
        key_name: str,
        max_concurrent: int | None,
        requests_per_minute: int | None,
        worker_id: int,
        now: float,
        hold_s: float,
    ) -> Admitted | Refused:
        return await self._run(
            lambda c: postgres_keys.admit_request(
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
        return await self._run(lambda c: postgres_keys.release_request(c, admission_id, now))

    async def write_metric_series(
        self, worker_id: int, series: dict[SeriesKey, float], rollup: Rollup | None = None
    ) -> None:
        await self._run(lambda c: postgres_workers.write_metric_series(c, worker_id, series, rollup))

    async def read_history(self, resolution: Resolution, since: float) -> list[HistoryPoint]:
        return await self._run(lambda c: postgres_workers.read_history(c, resolution, since))

    async def metric_totals(self) -> dict[SeriesKey, float]:
        return await self._run(postgres_workers.metric_totals)

    async def append_recent_events(self, events: Sequence[RecentEvent]) -> None:
        await self._run(lambda c: postgres_workers.append_recent_events(c, events))

    async def recent_events(self, limit: int = 50) -> list[RecentEvent]:
        return await self._run(lambda c: postgres_workers.recent_events(c, limit))

    async def close(self) -> None:
        """Close the connection and stop the state thread. Idempotent."""
        if self._closed:
            return
        self._closed = True

        def close_connection() -> None:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.close()

        await asyncio.get_running_loop().run_in_executor(self._executor, close_connection)
        self._executor.shutdown(wait=True)
