"""Feed this worker's :class:`MetricBook` from its events (at every log level) and write the book to
the state file.

Counting happens in memory on every event; the disk sees one transaction at most every
:data:`FLUSH_INTERVAL_S` (only the series that changed) and one at exit, so a worker killed
hard loses at most its last second of counts. The same transaction adds what grew since the
previous flush to the metric history, so history costs no write of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Mapping

from coderouter_supervisor.state import RecentEvent, Rollup, SeriesKey, StateBackend, StateError
from coderouter_supervisor.worker.telemetry.events import add_event_observer, remove_event_observer
from coderouter_supervisor.worker.telemetry.history_buckets import growth
from coderouter_supervisor.worker.telemetry.metric_book import ROLLED_UP, MetricBook
from coderouter_supervisor.worker.telemetry.state_status import StateStatus

FLUSH_INTERVAL_S = 1.0


# What an operator wants in the dashboard's "recent events": things going wrong or being worked around.
NOTABLE_EVENTS = frozenset(
    {
        "provider-failed",
        "provider-failed-midstream",
        "skip-budget-exceeded",
        "skip-memory-pressure",
        "chain-paid-gate-blocked",
        "chain-budget-exceeded",
        "chain-memory-pressure-blocked",
        "chain-state-unavailable",
        "backend-health-changed",
        "memory-pressure-detected",
        "tool-loop-detected",
        "state-unavailable",
    }
)
_RECENT_KEPT = 50


class _BookObserver:
    """An event observer: counts every event in the book and keeps the latest notable ones."""

    def __init__(self, book: MetricBook, notable: list[RecentEvent]) -> None:
        self._book = book
        self._notable = notable
        # A step offloaded to a thread may emit events too; one at a time, as a logging handler would.
        # Reading the book takes it too: a read adds the histograms' latest samples into the series.
        self.lock = threading.Lock()

    def __call__(self, event: str, fields: Mapping[str, object]) -> None:
        with self.lock:
            self._book.record(event, fields)
            if event in NOTABLE_EVENTS:
                self._notable.append(RecentEvent(time.time(), os.getpid(), event, dict(fields)))
                del self._notable[:-_RECENT_KEPT]


class MetricRecorder:
    """Owns the book for one worker; :meth:`start` with the worker, :meth:`stop` at exit. It writes once
    the worker has registered its heartbeat (until then the counts wait in memory)."""

    def __init__(
        self,
        store: StateBackend,
        worker_id: Callable[[], int | None],
        flush_s: float = FLUSH_INTERVAL_S,
        status: StateStatus | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """A failed flush is reported to ``status`` (logged once per change, not once a second);
        ``clock`` (wall-clock UTC seconds) dates what each flush adds to the history."""
        self.book = MetricBook()
        self._status = status or StateStatus()
        self._flush_s = flush_s
        self._store = store
        self._worker_id = worker_id
        self._clock = clock
        self._written: dict[SeriesKey, float] = {}
        self._samples_written: dict[SeriesKey, float] = {}
        self._flushing = asyncio.Lock()
        self._notable: list[RecentEvent] = []
        self._observer = _BookObserver(self.book, self._notable)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        add_event_observer(self._observer)
        self._task = asyncio.create_task(self._flush_forever(), name="metrics-flush")

    async def stop(self) -> None:
        remove_event_observer(self._observer)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

    async def flush(self) -> None:
        """Write what changed. One flush at a time: the history adds growth, so two overlapping
        flushes (the loop's and a scrape's) would count it twice."""
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        worker_id = self._worker_id()
        if worker_id is None:
            return
        with self._observer.lock:
            series, samples = dict(self.book.series), dict(self.book.samples)
        changed = {key: value for key, value in series.items() if self._written.get(key) != value}
        deltas = growth({k: v for k, v in changed.items() if k[0] in ROLLED_UP}, self._written)
        deltas.update(growth(samples, self._samples_written))
        rollup = Rollup(self._clock(), deltas) if deltas else None
        notable, self._notable[:] = list(self._notable), []
        try:
            if changed or rollup:
                await self._store.write_metric_series(worker_id, changed, rollup)
            if notable:
                await self._store.append_recent_events(notable)
        except StateError as exc:
            self._status.failed("metrics", exc)
            return
        self._status.succeeded("metrics", wrote=bool(changed or notable))
        self._written.update(changed)
        self._samples_written = samples

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._flush_s)
            await self.flush()
