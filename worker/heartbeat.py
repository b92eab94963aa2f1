"""This worker's heartbeat: a request counter and a task that reports it to the state file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from coderouter_supervisor.state import HEARTBEAT_INTERVAL_S, StateBackend, StateError
from coderouter_supervisor.worker.telemetry import StateStatus


class RequestCounter:
    """The number of model calls this worker has served: the requests ``status`` shows, not the health
    checks and scrapes polled every few seconds. The front door counts each one as it arrives."""

    def __init__(self) -> None:
        self.count = 0

    def count_one(self) -> None:
        self.count += 1


class Heartbeat:
    """Registers the worker, beats every ``interval_s``, marks the exit; each beat also checks that the
    state file is still the one this worker writes (see :meth:`StateBackend.check_store`).

    ``workers_alive`` is the live-worker count seen at the last beat, so answering ``/healthz``
    never touches the database. A state file that cannot be written does not stop the worker: it
    serves without a heartbeat row (budgeted providers are skipped meanwhile, see ``worker_id``),
    reports the cause to ``status``, and registers at the first beat that can write.
    """

    def __init__(
        self,
        store: StateBackend,
        counter: RequestCounter,
        interval_s: float = HEARTBEAT_INTERVAL_S,
        status: StateStatus | None = None,
    ) -> None:
        self._store = store
        self._interval_s = interval_s
        self._counter = counter
        self._status = status or StateStatus()
        self._worker_id: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.workers_alive = 1

    @property
    def worker_id(self) -> int | None:
        """This worker's row in the heartbeat table, once registered."""
        return self._worker_id

    async def start(self) -> None:
        """Beat once (registering), then every ``interval_s``; never raises for the state file."""
        await self._beat()
        self._task = asyncio.create_task(self._beat_forever(), name="heartbeat")

    async def _beat(self) -> None:
        try:
            await self._store.check_store()
        except StateError as exc:
            self._status.failed("file-check", exc)
        else:
            self._status.succeeded("file-check", wrote=False)
        now = time.time()
        try:
            if self._worker_id is None:
                self._worker_id = await self._store.register_worker(os.getpid(), now, self._interval_s)
            self.workers_alive = await self._store.record_heartbeat(self._worker_id, now, self._counter.count)
        except StateError as exc:
            self._status.failed("heartbeat", exc)
        else:
            self._status.succeeded("heartbeat", wrote=True)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            await self._beat()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._worker_id is not None:
            try:
                await self._store.mark_worker_exited(self._worker_id, time.time(), self._counter.count)
            except StateError as exc:
                self._status.failed("worker-exit", exc)
