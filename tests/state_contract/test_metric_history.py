"""Metric history through the backend seam: rollups summed over workers, retention, and a known day of
traffic read back as the dashboard's charts, quantiles and projection (figures computed by hand)."""

from __future__ import annotations

import calendar

import pytest

from coderouter_supervisor.state import (
    RETENTION_S,
    HistoryPoint,
    Rollup,
    Settlement,
    StateBackend,
)
from coderouter_supervisor.worker.reporting import dashboard_history
from coderouter_supervisor.worker.telemetry.metric_flush import MetricRecorder

from support.state_stores import StoreUnderTest

HOUR, DAY = 3600, 86400
DEC_9 = calendar.timegm((2026, 12, 9, 0, 0, 0))
DEC_10 = DEC_9 + DAY
REQUESTS = (("coderouter_client_requests_total", (("status", "200"),)),)


def _rows(points: list[HistoryPoint]) -> list[tuple[int, str, float]]:
    return [(p.start, p.name, p.value) for p in points]


def test_rollups_of_two_workers_add_up_per_minute_and_per_hour(backend: StoreUnderTest) -> None:
    key = REQUESTS[0]

    async def scenario() -> tuple[list[HistoryPoint], list[HistoryPoint]]:
        first, second = await backend.open(), await backend.open()
        await first.write_metric_series(1, {key: 3.0}, Rollup(DEC_9 + 10, {key: 3.0}))
        await second.write_metric_series(2, {key: 2.0}, Rollup(DEC_9 + 50, {key: 2.0}))
        await first.write_metric_series(1, {key: 4.0}, Rollup(DEC_9 + 70, {key: 1.0}))
        await second.write_metric_series(2, {key: 2.0})  # no growth: no history
        return await first.read_history("minute", DEC_9), await second.read_history("hour", DEC_9)

    minutes, hours = backend.run(scenario)
    name = key[0]
    assert _rows(minutes) == [(DEC_9, name, 5.0), (DEC_9 + 60, name, 1.0)]
    assert minutes[0].labels == key[1]
    assert _rows(hours) == [(DEC_9, name, 6.0)]
    assert _rows(backend.admin.read_history("minute", DEC_9 + 60)) == [(DEC_9 + 60, name, 1.0)]
    assert backend.admin.read_history("hour", DEC_9 + HOUR) == []


def test_minutes_are_kept_48_hours_and_hours_13_months(backend: StoreUnderTest) -> None:
    key = REQUESTS[0]
    assert RETENTION_S == {"minute": 48 * HOUR, "hour": 403 * DAY}

    async def grow(store: StateBackend, at: float) -> None:
        await store.write_metric_series(1, {key: at}, Rollup(at, {key: 1.0}))

    async def scenario() -> list[list[int]]:
        store = await backend.open()
        for hour in range(24):
            await grow(store, DEC_9 + hour * HOUR + 1800)
        await grow(store, DEC_9 + 2 * DAY + 12 * HOUR)  # minutes before Dec 9 12:00 are now too old
        minutes = [p.start for p in await store.read_history("minute", 0)]
        await grow(store, DEC_9 + 403 * DAY + 12 * HOUR)  # hours before Dec 9 12:00 too, a year on
        hours = [p.start for p in await store.read_history("hour", 0)]
        return [minutes, hours]

    minutes, hours = backend.run(scenario)
    kept = [DEC_9 + h * HOUR + 1800 for h in range(12, 24)]
    assert minutes == [*kept, DEC_9 + 2 * DAY + 12 * HOUR]
    assert hours == [
        *(DEC_9 + h * HOUR for h in range(12, 24)),
        DEC_9 + 2 * DAY + 12 * HOUR,
        DEC_9 + 403 * DAY + 12 * HOUR,
    ]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _serve_an_hour(worker_a: MetricRecorder, worker_b: MetricRecorder) -> None:
    """Worker A: 6 requests answered 200 and one 502, local's latencies 4 x 0.8 ms, 4 ms, 40 ms.
    Worker B: 3 requests answered 200, one fallback on a timeout, $0.25 spent on claude."""
    for status in ["200"] * 6 + ["502"]:
        worker_a.book.record(
            "request-completed", {"ingress": "anthropic", "status": status, "duration_ms": 1}
        )
    for latency in (0.8, 0.8, 0.8, 0.8, 4.0, 40.0):
        worker_a.book.record("provider-ok", {"provider": "local", "latency_ms": latency})
    for _ in range(3):
        worker_b.book.record("request-completed", {"ingress": "openai", "status": "200", "duration_ms": 1})
    worker_b.book.record("provider-failed", {"provider": "local", "reason": "timeout"})
    worker_b.book.record("cache-observed", {"provider": "claude", "cost_usd": 0.25})


def test_a_known_day_of_traffic_as_the_dashboard_shows_it(backend: StoreUnderTest) -> None:
    clock = _Clock()

    async def scenario() -> dict[str, object]:
        a_store, b_store = await backend.open(), await backend.open()
        a_id, b_id = await a_store.register_worker(1, DEC_9), await b_store.register_worker(2, DEC_9)
        worker_a = MetricRecorder(a_store, lambda: a_id, clock=clock)
        worker_b = MetricRecorder(b_store, lambda: b_id, clock=clock)
        for hour in range(24):
            _serve_an_hour(worker_a, worker_b)
            clock.now = DEC_9 + hour * HOUR + 1800
            await worker_a.flush()
            clock.now += 30  # the same minute
            await worker_b.flush()
        await a_store.record_spend([("claude", "2026-12", Settlement(18.0))])
        return dashboard_history(
            now=DEC_10,
            minutes=await a_store.read_history("minute", DEC_10 - HOUR),
            hours=await a_store.read_history("hour", DEC_9 - 8 * DAY),
            providers={e.provider: e for e in await a_store.read_ledger("2026-12")},
            caps={"claude": 50.0},
            keys=[],
            key_ledger={},
        )

    view = backend.run(scenario)
    hour, day, month = view["hour"], view["day"], view["month"]
    assert isinstance(hour, dict) and isinstance(day, dict) and isinstance(month, dict)
    # The last hour by minute, up to Dec 10 00:00: only 23:30 saw traffic, 10 requests in 60 s.
    assert len(hour["times"]) == 60 and hour["times"][-1] == DEC_10
    assert hour["requests_per_s"][29] == pytest.approx(10 / 60)
    assert sum(hour["requests_per_s"]) == pytest.approx(10 / 60)
    # The last day by hour: Dec 9 01:00 .. Dec 10 00:00; 00:30 on Dec 9 fell out, the last slot is empty.
    assert day["times"][0] == DEC_9 + HOUR and len(day["times"]) == 24
    assert day["requests_per_s"] == pytest.approx([10 / HOUR] * 23 + [0.0])
    assert day["error_rate"] == pytest.approx([0.1] * 23 + [0.0])
    assert day["fallbacks"] == {"timeout": [1.0] * 23 + [0.0]}
    # 6 samples an hour: four in (0.7, 1], one in (3, 5], one in (30, 50].
    # p50, rank 3 of 4 in (0.7, 1]: 0.7 + 0.3 x 3/4 = 0.925; p95, rank 5.7, 0.7 into (30, 50]: 44.
    local = day["latency_ms"]["local"]
    assert local["p50"][:23] == pytest.approx([0.925] * 23) and local["p50"][23] is None
    assert local["p95"][:23] == pytest.approx([44.0] * 23)
    assert day["ttft_ms"] == {}
    # December by day through the 10th: $0.25 x 24 on the 9th.
    assert month["spend_by_day"] == {"claude": pytest.approx([0.0] * 8 + [6.0, 6.0])}
    assert month["caps"] == {"claude": 50.0}
    # $18 in 9 days is $2 a day: $62 by Dec 31, the $50 cap after 25 days.
    [claude] = month["projections"]
    assert claude["month_end_usd"] == pytest.approx(62.0)
    assert claude["sentence"] == "at this rate `claude` reaches its $50 cap on the 26th"


def test_a_flush_without_growth_adds_no_history(backend: StoreUnderTest) -> None:
    clock = _Clock()

    async def scenario() -> list[HistoryPoint]:
        store = await backend.open()
        worker = MetricRecorder(store, lambda: 1, clock=clock)
        worker.book.record("request-completed", {"ingress": "openai", "status": "200", "duration_ms": 1})
        clock.now = DEC_9
        await worker.flush()
        clock.now = DEC_9 + 120
        await worker.flush()
        return await store.read_history("minute", 0)

    assert [(p.start, p.value) for p in backend.run(scenario) if p.name == REQUESTS[0][0]] == [(DEC_9, 1.0)]
