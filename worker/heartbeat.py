"""This worker's heartbeat: a request counter and a task that reports it to the state file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from coderouter_supervisor.state import HEARTBEAT_INTERVAL_S, StateError, StateStore
from coderouter_supervisor.worker.telemetry import emit_event


class RequestCounter:
    """ASGI middleware counting HTTP requests served by this worker."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.count += 1
        await self.app(scope, receive, send)


class Heartbeat:
    """Registers the worker, beats every ``interval_s``, marks the exit.

    ``workers_alive`` is the live-worker count seen at the last beat, so answering
    ``/healthz`` never touches the database.
    """

    def __init__(
        self, store: StateStore, counter: RequestCounter, interval_s: float = HEARTBEAT_INTERVAL_S
    ) -> None:
        self._store = store
        self._interval_s = interval_s
        self._counter = counter
        self._worker_id: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.workers_alive = 1

    @property
    def worker_id(self) -> int | None:
        """This worker's row in the heartbeat table, once registered."""
        return self._worker_id

    async def start(self) -> None:
        now = time.time()
        self._worker_id = await self._store.register_worker(os.getpid(), now, self._interval_s)
        self.workers_alive = await self._store.record_heartbeat(self._worker_id, now, 0)
        self._task = asyncio.create_task(self._beat_forever(), name="heartbeat")

    async def _beat_forever(self) -> None:
        assert self._worker_id is not None
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                self.workers_alive = await self._store.record_heartbeat(
                    self._worker_id, time.time(), self._counter.count
                )
            except StateError as exc:
                emit_event("heartbeat-failed", "warning", error=str(exc))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._worker_id is not None:
            try:
                await self._store.mark_worker_exited(self._worker_id, time.time(), self._counter.count)
            except StateError as exc:
                emit_event("heartbeat-failed", "warning", error=str(exc))
