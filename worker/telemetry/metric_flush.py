"""Feed this worker's :class:`MetricBook` from its events and write the book to the state file.

Counting happens in memory on every event; the disk sees one transaction at most every
:data:`FLUSH_INTERVAL_S` (only the series that changed) and one at exit, so a worker killed
hard loses at most its last second of counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from coderouter_supervisor.state import StateError, StateStore
from coderouter_supervisor.worker.telemetry.events import LOGGER_NAME, emit_event
from coderouter_supervisor.worker.telemetry.metric_book import MetricBook, SeriesKey

FLUSH_INTERVAL_S = 1.0


class _BookHandler(logging.Handler):
    def __init__(self, book: MetricBook) -> None:
        super().__init__()
        self._book = book

    def emit(self, record: logging.LogRecord) -> None:
        fields = getattr(record, "fields", None)
        self._book.record(record.getMessage(), fields if isinstance(fields, dict) else {})


class MetricRecorder:
    """Owns the book for one worker; :meth:`start` after the worker registered, :meth:`stop` at exit."""

    def __init__(self, store: StateStore, worker_id: Callable[[], int | None]) -> None:
        self.book = MetricBook()
        self._store = store
        self._worker_id = worker_id
        self._written: dict[SeriesKey, float] = {}
        self._handler = _BookHandler(self.book)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        logging.getLogger(LOGGER_NAME).addHandler(self._handler)
        self._task = asyncio.create_task(self._flush_forever(), name="metrics-flush")

    async def stop(self) -> None:
        logging.getLogger(LOGGER_NAME).removeHandler(self._handler)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        worker_id = self._worker_id()
        changed = {key: value for key, value in self.book.series.items() if self._written.get(key) != value}
        if worker_id is None or not changed:
            return
        try:
            await self._store.write_metric_series(worker_id, changed)
        except StateError as exc:
            emit_event("metrics-flush-failed", "warning", error=str(exc))
            return
        self._written.update(changed)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            await self.flush()
