"""The async face of the state file for a worker: one connection on one thread.

Every operation is a short synchronous function run whole on the store's single thread,
so a transaction never spans an ``await`` and the event loop never blocks on SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from coderouter_supervisor.state import heartbeats
from coderouter_supervisor.state.connection import connect
from coderouter_supervisor.state.errors import StateUnavailable
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

    async def register_worker(self, pid: int, now: float) -> int:
        return await self._run(lambda c: heartbeats.register_worker(c, pid, now))

    async def record_heartbeat(self, worker_id: int, now: float, requests: int) -> int:
        """Refresh this worker's heartbeat; return the number of live workers."""
        return await self._run(lambda c: heartbeats.record_heartbeat(c, worker_id, now, requests))

    async def mark_worker_exited(self, worker_id: int, now: float, requests: int) -> None:
        await self._run(lambda c: heartbeats.mark_worker_exited(c, worker_id, now, requests))

    async def close(self) -> None:
        """Close the connection and stop the state thread. Idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)
