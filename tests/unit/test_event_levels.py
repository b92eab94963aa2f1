"""Event levels: observers (the metric book) see every event whatever the log level; only enabled
levels are logged; ``$CODEROUTER_LOG_LEVEL`` picks the level or is refused by name."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator, Sequence
from typing import cast

import pytest

from coderouter_supervisor.state import RecentEvent, Rollup, SeriesKey, StateBackend
from coderouter_supervisor.worker.telemetry import Level, MetricRecorder, emit_event
from coderouter_supervisor.worker.telemetry.events import LOGGER_NAME, log_level

# One served request with a fallback: a failure, then the per-attempt events of the provider that answered.
TRAFFIC: list[tuple[str, Level, dict[str, object]]] = [
    ("try-provider", "debug", {"provider": "local", "stream": False}),
    ("provider-failed", "warning", {"provider": "local", "error": "connect"}),
    ("try-provider", "debug", {"provider": "claude", "stream": True}),
    ("provider-ok", "debug", {"provider": "claude", "stream": True, "latency_ms": 120.0}),
    ("cache-observed", "debug", {"provider": "claude", "outcome": "cache_hit", "cost_usd": 0.25}),
    (
        "request-completed",
        "info",
        {"ingress": "anthropic", "profile": "p", "status": 200, "duration_ms": 300},
    ),
]


class _Recorded(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(record.getMessage())


@pytest.fixture
def recorded() -> Iterator[tuple[logging.Logger, _Recorded]]:
    logger, handler = logging.getLogger(LOGGER_NAME), _Recorded()
    level = logger.level
    logger.addHandler(handler)
    try:
        yield logger, handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class _Written:
    """What a recorder hands its store at exit (a stand-in for the state backend, which is I/O)."""

    def __init__(self) -> None:
        self.series: dict[SeriesKey, float] = {}
        self.notable: list[RecentEvent] = []

    async def write_metric_series(
        self, worker_id: int, series: dict[SeriesKey, float], rollup: Rollup | None = None
    ) -> None:
        self.series.update(series)

    async def append_recent_events(self, events: Sequence[RecentEvent]) -> None:
        self.notable.extend(events)


def _served_at(logger: logging.Logger, level: int) -> _Written:
    """What a worker's recorder writes after :data:`TRAFFIC` was served with the logger at ``level``."""
    logger.setLevel(level)
    written = _Written()
    recorder = MetricRecorder(cast(StateBackend, written), worker_id=lambda: 1)

    async def serve() -> None:
        await recorder.start()
        for event, event_level, fields in TRAFFIC:
            emit_event(event, event_level, **fields)
        await recorder.stop()

    asyncio.run(serve())
    return written


def test_metrics_count_the_same_at_every_log_level(recorded: tuple[logging.Logger, _Recorded]) -> None:
    logger, handler = recorded
    books = {
        level: _served_at(logger, level).series for level in (logging.DEBUG, logging.INFO, logging.WARNING)
    }

    assert books[logging.INFO] == books[logging.DEBUG] == books[logging.WARNING]
    counted = {
        (name, dict(labels).get("provider")): value for (name, labels), value in books[logging.INFO].items()
    }
    assert counted[("coderouter_provider_attempts_total", "local")] == 1
    assert counted[("coderouter_provider_attempts_total", "claude")] == 1
    assert counted[("coderouter_provider_ttft_seconds_count", "claude")] == 1
    assert counted[("coderouter_cost_total_usd_total", "claude")] == 0.25
    # Logged: everything at debug, what is at info or above at info, the warning alone at warning.
    assert handler.events == [event for event, _, _ in TRAFFIC] + ["provider-failed", "request-completed"] + [
        "provider-failed"
    ]


def test_notable_events_keep_their_time_and_pid(recorded: tuple[logging.Logger, _Recorded]) -> None:
    logger, _ = recorded
    before = time.time()

    [notable] = _served_at(logger, logging.WARNING).notable

    assert (notable.event, notable.pid) == ("provider-failed", os.getpid())
    assert before <= notable.at <= time.time()
    assert notable.fields == {"provider": "local", "error": "connect"}


@pytest.mark.parametrize(
    ("env", "level"),
    [
        pytest.param({}, "info", id="unset"),
        pytest.param({"CODEROUTER_LOG_LEVEL": " "}, "info", id="blank"),
        pytest.param({"CODEROUTER_LOG_LEVEL": "debug"}, "debug", id="debug"),
        pytest.param({"CODEROUTER_LOG_LEVEL": "DEBUG"}, "debug", id="any-case"),
        pytest.param({"CODEROUTER_LOG_LEVEL": "warning"}, "warning", id="warning"),
    ],
)
def test_the_log_level_setting(env: dict[str, str], level: str) -> None:
    assert log_level(env) == level


@pytest.mark.parametrize("raw", ["verbose", "error", "10"])
def test_a_log_level_that_is_not_one_is_refused_by_name(raw: str) -> None:
    with pytest.raises(
        ValueError, match=rf"CODEROUTER_LOG_LEVEL='{raw}': expected one of debug, info, warning"
    ):
        log_level({"CODEROUTER_LOG_LEVEL": raw})
