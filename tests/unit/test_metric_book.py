"""Metrics from events, flattened histograms, quantiles and the two renderings (pure)."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from coderouter_supervisor.worker.telemetry.exposition import (
    Gauge,
    MetricsSnapshot,
    metrics_json,
    prometheus_text,
)
from coderouter_supervisor.worker.telemetry.metric_book import MetricBook, labels_of


def book_after(*events: tuple[str, dict[str, object]]) -> MetricBook:
    book = MetricBook()
    for name, fields in events:
        book.record(name, fields)
    return book


def value(book: MetricBook, name: str, **labels: object) -> float:
    return book.series.get(("coderouter_" + name, labels_of(**labels)), 0.0)


@pytest.mark.parametrize(
    ("event", "fields", "metric", "labels", "expected"),
    [
        pytest.param(
            "try-provider", {"provider": "a"}, "provider_attempts_total", {"provider": "a"}, 1, id="try"
        ),
        pytest.param(
            "skip-budget-exceeded",
            {"provider": "a"},
            "provider_skipped_total",
            {"provider": "a", "reason": "budget"},
            1,
            id="skip",
        ),
        pytest.param(
            "skip-state-unavailable",
            {"provider": "a"},
            "provider_skipped_total",
            {"provider": "a", "reason": "state_unavailable"},
            1,
            id="skip-state-unavailable",
        ),
        pytest.param(
            "provider-failed",
            {"provider": "a", "reason": "http-429"},
            "fallbacks_total",
            {"reason": "http-429"},
            1,
            id="fallback",
        ),
        pytest.param(
            "cache-observed",
            {"provider": "a", "outcome": "cache_hit", "input_tokens": 30, "cost_usd": 0.25},
            "input_tokens_total",
            {"provider": "a"},
            30,
            id="tokens",
        ),
        pytest.param(
            "capability-degraded",
            {"dropped": ["thinking"]},
            "capability_degraded_total",
            {"capability": "thinking"},
            1,
            id="degraded",
        ),
        pytest.param(
            "tool-loop-detected",
            {"action": "break"},
            "tool_loop_detected_total",
            {"action": "break"},
            1,
            id="tool-loop",
        ),
    ],
)
def test_events_become_counters(
    event: str, fields: dict[str, object], metric: str, labels: dict[str, object], expected: float
) -> None:
    assert value(book_after((event, fields)), metric, **labels) == expected


def test_unrelated_events_count_nothing() -> None:
    assert book_after(("worker-started", {}), ("reload-accepted", {"config": "x"})).series == {}


def test_histogram_buckets_are_cumulative_and_quantiles_interpolate() -> None:
    book = MetricBook()
    for seconds in (0.2, 0.2, 0.4, 3.0):
        book.observe("provider_ttft_seconds", seconds, provider="a")
    assert value(book, "provider_ttft_seconds_bucket", provider="a", le="0.25") == 2
    assert value(book, "provider_ttft_seconds_bucket", provider="a", le="0.5") == 3
    assert value(book, "provider_ttft_seconds_bucket", provider="a", le="+Inf") == 4
    assert value(book, "provider_ttft_seconds_count", provider="a") == 4
    snapshot = MetricsSnapshot(dict(book.series))
    assert snapshot.quantile_ms("provider_ttft_seconds", 0.5, provider="a") == pytest.approx(250.0)
    assert 2500 < (snapshot.quantile_ms("provider_ttft_seconds", 0.95, provider="a") or 0) <= 5000
    assert snapshot.quantile_ms("provider_ttft_seconds", 0.5, provider="nobody") is None


ALL_BUCKETS = (
    *("0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5"),
    *("1", "2.5", "5", "10", "30", "60", "120", "300", "+Inf"),
)


@pytest.mark.parametrize(
    ("seconds", "lowest_bucket"),
    [
        pytest.param(0.0, "0.001", id="zero"),
        pytest.param(0.001, "0.001", id="on-the-first-bound"),
        pytest.param(0.25, "0.25", id="on-a-middle-bound"),
        pytest.param(0.2500001, "0.5", id="just-above-a-bound"),
        pytest.param(300.0, "300", id="on-the-last-bound"),
        pytest.param(301.0, "+Inf", id="above-every-bound"),
    ],
)
def test_a_sample_counts_in_its_bucket_and_every_one_above(seconds: float, lowest_bucket: str) -> None:
    book = MetricBook()
    book.observe("upstream_latency_seconds", seconds, provider="a")
    book.observe("upstream_latency_seconds", seconds, provider="a")
    counted = {
        dict(labels)["le"]: count
        for (name, labels), count in book.series.items()
        if name == "coderouter_upstream_latency_seconds_bucket"
    }
    lowest = float(lowest_bucket.replace("+Inf", "inf"))
    assert counted == {le: 2.0 for le in ALL_BUCKETS if float(le.replace("+Inf", "inf")) >= lowest}
    assert value(book, "upstream_latency_seconds_sum", provider="a") == pytest.approx(2 * seconds)
    assert value(book, "upstream_latency_seconds_count", provider="a") == 2


def test_labels_passed_in_another_order_count_in_the_same_series() -> None:
    book = MetricBook()
    book.inc("provider_outcomes_total", provider="a", outcome="ok")
    book.inc("provider_outcomes_total", outcome="ok", provider="a")
    book.observe("request_duration_seconds", 0.01, ingress="x", profile="p")
    book.observe("request_duration_seconds", 0.01, profile="p", ingress="x")
    assert value(book, "provider_outcomes_total", provider="a", outcome="ok") == 2
    assert value(book, "request_duration_seconds_count", ingress="x", profile="p") == 2
    assert value(book, "request_duration_seconds_bucket", ingress="x", profile="p", le="0.01") == 2
    # The counter, the buckets from 0.01 s up (15 of 18), the sum and the count.
    assert len(book.series) == 1 + 15 + 2


def test_a_loopback_provider_gets_quantiles_in_single_milliseconds() -> None:
    book = book_after(
        *(("provider-ok", {"provider": "lan", "latency_ms": ms}) for ms in (1.5, 2.0, 2.5, 3.0, 4.0))
    )
    [provider] = metrics_json(MetricsSnapshot(dict(book.series)))["providers"]
    latency = provider["latency_ms"]
    # Buckets starting at 50 ms made every fast provider read 25 / 48 ms.
    assert 1.0 <= latency["p50"] <= 5.0
    assert 2.5 <= latency["p95"] <= 5.0


def test_prometheus_text_parses_back_to_the_same_numbers() -> None:
    book = book_after(
        ("request-completed", {"ingress": "openai", "profile": "p", "status": 200, "duration_ms": 120}),
        ("request-completed", {"ingress": "openai", "profile": "p", "status": 502, "duration_ms": 80}),
        ("cache-observed", {"provider": 'we"ird\\name', "outcome": "no_cache", "cost_usd": 0.5}),
    )
    snapshot = MetricsSnapshot(dict(book.series), (Gauge("workers_alive", 3.0),))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(prometheus_text(snapshot).decode())
        for s in family.samples
    }
    ok = (("ingress", "openai"), ("key", ""), ("profile", "p"), ("status", "200"))
    assert samples[("coderouter_client_requests_total", ok)] == 1
    assert (
        samples[("coderouter_request_duration_seconds_count", (("ingress", "openai"), ("profile", "p")))] == 2
    )
    assert samples[("coderouter_cost_total_usd_total", (("provider", 'we"ird\\name'),))] == 0.5
    assert samples[("coderouter_workers_alive", ())] == 3


def test_metrics_json_keeps_the_peer_shape() -> None:
    book = book_after(
        ("try-provider", {"provider": "a"}), ("provider-ok", {"provider": "a", "latency_ms": 40})
    )
    body = metrics_json(MetricsSnapshot(dict(book.series)))
    assert {"counters", "providers", "recent"} <= set(body)
    assert body["counters"]["provider_attempts"] == {"a": 1}
    [provider] = body["providers"]
    assert provider["outcomes"] == {"ok": 1} and provider["latency_ms"]["p50"] is not None
