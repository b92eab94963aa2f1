"""The SQLite state backend's async face (:class:`~.backend.StateBackend`): one connection on one thread.

Every operation is a short synchronous function run whole on the store's single thread,
so a transaction never spans an ``await`` and the event loop never blocks on SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from coderouter_supervisor.state import (
    budget_ledger,
    client_keys,
    heartbeats,
    key_admissions,
    metric_history,
    metric_series,
    provider_observations,
    wal_checkpoint,
)
from coderouter_supervisor.state.budget_ledger import Settlement
from coderouter_supervisor.state.connection import connect
from coderouter_supervisor.state.errors import StateUnavailable
from coderouter_supervisor.state.file_identity import FileIdentity, identity_problem
from coderouter_supervisor.state.provider_observations import AttemptRecord, HealthRecord, ProviderFacts
from coderouter_supervisor.state.schema import require_current_schema
from coderouter_supervisor.state.series_labels import SeriesKey

T = TypeVar("T")

# A store that could not open its file (or lost a read-only connection) opens it again on its next
# operation, at most this often: often enough to recover within a heartbeat, rare enough to cost nothing.
REOPEN_INTERVAL_S = 1.0
# SQLite primary result codes that are about the file, not one statement: PERM, READONLY, IOERR, FULL,
# CANTOPEN. https://www.sqlite.org/rescode.html
_WHOLE_FILE_CODES = frozenset({3, 8, 10, 13, 14})
# A connection opened while the file could not be written is read-only for good (SQLite falls back to
# O_RDONLY silently), so after these the file is opened again.
_REOPEN_CODES = frozenset({8, 14})


def _open_checked(path: Path) -> sqlite3.Connection:
    conn = connect(path, create=False)
    try:
        require_current_schema(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


class SqliteStateStore:
    """A process's handle on the shared state file. Open with :meth:`open`."""

    def __init__(
        self,
        path: Path,
        executor: ThreadPoolExecutor,
        conn: sqlite3.Connection | None,
        open_error: StateUnavailable | None = None,
    ) -> None:
        self.path = path
        self._executor = executor
        # Touched only on the state thread once the store is built.
        self._conn = conn
        self._open_error = open_error
        self._opened_at = time.monotonic()
        self._reopen_due = False
        self._identity: FileIdentity | None = None
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> SqliteStateStore:
        """Connect on a fresh state thread and check the schema.

        Raises :class:`SchemaMismatch`: the worker must then refuse to start. A file that cannot be
        opened does not stop the worker: the store starts without a connection, each operation raises
        :class:`StateUnavailable` with the cause, and the file is opened again (at most every
        :data:`REOPEN_INTERVAL_S`) until that works.
        """
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state")
        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, _open_checked, path)
        except StateUnavailable as exc:
            return cls(path, executor, None, exc)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(path, executor, conn)

    def _connection(self) -> sqlite3.Connection:
        """On the state thread: the connection to use, opening the file (again) when due."""
        if self._conn is not None and not self._reopen_due:
            return self._conn
        if time.monotonic() - self._opened_at < REOPEN_INTERVAL_S:
            if self._conn is not None:
                return self._conn
            raise StateUnavailable(str(self._open_error), whole_file=True)
        self._opened_at = time.monotonic()
        try:
            fresh = _open_checked(self.path)
        except StateUnavailable as exc:
            if self._conn is not None:
                return self._conn  # still good for reading
            self._open_error = exc
            raise StateUnavailable(str(exc), whole_file=True) from exc
        if self._conn is not None:
            self._conn.close()
        self._conn, self._reopen_due, self._identity = fresh, False, None
        return fresh

    def _unavailable(self, message: str, cause: sqlite3.Error) -> StateUnavailable:
        """On the state thread: ``cause`` as a :class:`StateUnavailable`. A connection SQLite opened
        read-only stays so, so after such an error the file is opened again (at most every
        :data:`REOPEN_INTERVAL_S`; the old connection serves reads meanwhile)."""
        code = getattr(cause, "sqlite_errorcode", 0) & 0xFF  # the primary result code
        self._reopen_due = self._reopen_due or code in _REOPEN_CODES
        return StateUnavailable(f"{self.path}: {message}", whole_file=code in _WHOLE_FILE_CODES)

    async def _run(self, op: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise StateUnavailable(f"{self.path}: state store is closed")

        def call() -> T:
            try:
                return op(self._connection())
            except sqlite3.Error as exc:
                raise self._unavailable(str(exc), exc) from exc
            except StateUnavailable as exc:
                if isinstance(exc.__cause__, sqlite3.Error):  # from write_transaction: BEGIN or COMMIT
                    raise self._unavailable(str(exc), exc.__cause__) from exc
                raise

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def check_store(self) -> None:
        """Raise :class:`StateUnavailable` when the database or its WAL on disk is no longer the file this
        store's connection writes (deleted or replaced under it: SQLite keeps writing the orphan, and
        every other process misses those writes). Two ``stat`` calls: for a periodic check."""

        def check() -> None:
            if self._conn is None:
                return  # nothing open: the operations report why
            now = FileIdentity.of(self.path)
            known = self._identity or now
            problem = identity_problem(known, now)
            if problem is not None:
                raise StateUnavailable(f"{self.path}: {problem}")
            # A WAL that did not exist yet at the first check counts from when it appears.
            self._identity = FileIdentity(known.database, known.wal or now.wal)

        if not self._closed:
            await asyncio.get_running_loop().run_in_executor(self._executor, check)

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
            lambda c: provider_observations.read_provider_facts(
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
        self,
        reservation_id: int,
        provider: str,
        month: str,
        settlement: Settlement | None,
        *,
        retry: bool = False,
    ) -> budget_ledger.Settled:
        """See :func:`budget_ledger.settle_spend`."""
        return await self._run(
            lambda c: budget_ledger.settle_spend(c, reservation_id, provider, month, settlement, retry=retry)
        )

    async def record_spend(self, entries: Sequence[tuple[str, str, Settlement]]) -> None:
        await self._run(lambda c: budget_ledger.record_spend(c, entries))

    async def update_health(
        self, provider: str, transition: Callable[[HealthRecord | None], HealthRecord]
    ) -> tuple[HealthRecord | None, HealthRecord]:
        return await self._run(lambda c: provider_observations.update_health(c, provider, transition))

    async def start_cooldown(self, provider: str, until: float) -> float:
        return await self._run(lambda c: provider_observations.start_cooldown(c, provider, until))

    async def append_attempts(self, attempts: Sequence[AttemptRecord], *, keep_since: float) -> None:
        await self._run(lambda c: provider_observations.append_attempts(c, attempts, keep_since=keep_since))

    async def write_metric_series(
        self,
        worker_id: int,
        series: dict[SeriesKey, float],
        rollup: metric_history.Rollup | None = None,
    ) -> None:
        await self._run(lambda c: metric_series.write_metric_series(c, worker_id, series, rollup))

    async def read_history(
        self, resolution: metric_history.Resolution, since: float
    ) -> list[metric_history.HistoryPoint]:
        return await self._run(lambda c: metric_history.read_history(c, resolution, since))

    async def metric_totals(self) -> dict[SeriesKey, float]:
        return await self._run(metric_series.metric_totals)

    async def append_recent_events(self, events: Sequence[metric_series.RecentEvent]) -> None:
        await self._run(lambda c: metric_series.append_recent_events(c, events))

    async def recent_events(self, limit: int = 50) -> list[metric_series.RecentEvent]:
        return await self._run(lambda c: metric_series.recent_events(c, limit))

    async def read_ledger(self, month: str) -> list[budget_ledger.LedgerEntry]:
        return await self._run(lambda c: budget_ledger.read_ledger(c, month))

    async def list_workers(self, now: float) -> list[heartbeats.WorkerHeartbeat]:
        return await self._run(lambda c: heartbeats.list_workers(c, now))

    async def read_keys(self) -> list[client_keys.ClientKey]:
        return await self._run(client_keys.read_keys)

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
        store of its own (it may wait the busy timeout). SQLite's alone: not part of the backend seam."""
        return await self._run(wal_checkpoint.checkpoint_wal)

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
