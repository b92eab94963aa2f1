"""This worker's metrics, derived from its structured events (pure: events in, series out).

Every metric comes from an event the gateway logs anyway, as in coderouter-cli, so a log consumer and
a dashboard can never disagree. A series is ``(name, labels)`` with a cumulative value; histograms
are stored flattened (``_bucket`` series with an ``le`` label, ``_sum``, ``_count``) so that the
totals of all workers are plain sums.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.state import Labels, SeriesKey
from coderouter_supervisor.worker.telemetry.history_buckets import bucket_label

PREFIX = "coderouter_"

# Counters whose growth the history keeps, per minute and per hour.
ROLLED_UP = frozenset(
    PREFIX + name
    for name in (
        "client_requests_total",
        "provider_outcomes_total",
        "fallbacks_total",
        "input_tokens_total",
        "output_tokens_total",
        "cost_total_usd_total",
    )
)
# Sample series of the history (milliseconds, one bucket per sample, an ``le`` label).
UPSTREAM_LATENCY_MS = PREFIX + "upstream_latency_ms"
TTFT_MS = PREFIX + "provider_ttft_ms"

# Seconds; from a model on loopback or the LAN (about 1 ms) to a long agent stream.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
)
_BOUNDS = (*LATENCY_BUCKETS, math.inf)
_LE = tuple("+Inf" if bound == math.inf else f"{bound:g}" for bound in _BOUNDS)


def labels_of(**labels: object) -> Labels:
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


@dataclass(frozen=True)
class _HistogramKeys:
    buckets: tuple[SeriesKey, ...]  # one per bound of ``_BOUNDS``, in order
    sum: SeriesKey
    count: SeriesKey


class _Histogram:
    """One histogram's keys, and its samples per bucket not yet added to the cumulative series."""

    __slots__ = ("keys", "unfolded")

    def __init__(self, keys: _HistogramKeys) -> None:
        self.keys = keys
        self.unfolded: list[int] | None = None  # samples per bound index; None when none


class MetricBook:
    """Cumulative series of one process. Not thread-safe: fed from the event loop's logging calls."""

    def __init__(self) -> None:
        self._series: dict[SeriesKey, float] = {}
        # Samples for the metric history's quantiles, kept apart: they are not Prometheus series.
        self.samples: dict[SeriesKey, float] = {}
        # Each series' key, by name and labels in the order passed: sorting the labels (for a
        # histogram, once per bucket) cost more than the counting. As many entries as series.
        self._keys: dict[tuple[str, Labels], SeriesKey] = {}
        self._histograms: dict[tuple[str, Labels], _Histogram] = {}
        # Histograms with samples not yet in their cumulative buckets: a sample counts in every
        # bucket at or above it (up to 18 series), so buckets are added up when the series are read
        # (a flush a second) rather than per sample.
        self._unfolded: list[_Histogram] = []

    @property
    def series(self) -> dict[SeriesKey, float]:
        """Every series with its cumulative value (histogram buckets included)."""
        self._fold_buckets()
        return self._series

    def _key(self, name: str, labels: dict[str, str]) -> SeriesKey:
        """``(name, labels_of(**labels))``, worked out once per name and labels."""
        asked = (name, tuple(labels.items()))
        try:
            return self._keys[asked]
        except KeyError:
            key = self._keys[asked] = (name, labels_of(**labels))
            return key

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        if value <= 0 or math.isnan(value):
            return
        key = self._key(PREFIX + name, labels)
        self._series[key] = self._series.get(key, 0.0) + value

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        """One sample of histogram ``name`` (seconds)."""
        if seconds < 0 or math.isnan(seconds):
            return
        histogram = self._histogram(name, labels)
        if histogram.unfolded is None:
            histogram.unfolded = [0] * len(_BOUNDS)
            self._unfolded.append(histogram)
        histogram.unfolded[bisect_left(_BOUNDS, seconds)] += 1
        series, keys = self._series, histogram.keys
        series[keys.sum] = series.get(keys.sum, 0.0) + seconds
        series[keys.count] = series.get(keys.count, 0.0) + 1

    def _fold_buckets(self) -> None:
        """Add the samples observed since the last read to their cumulative buckets: each bucket
        gains the samples at or below its bound (a bucket no sample reached gets no series)."""
        series = self._series
        while self._unfolded:
            histogram = self._unfolded.pop()
            counts, histogram.unfolded = histogram.unfolded or [], None
            running = 0
            for key, count in zip(histogram.keys.buckets, counts, strict=True):
                running += count
                if running:
                    series[key] = series.get(key, 0.0) + running

    def _histogram(self, name: str, labels: dict[str, str]) -> _Histogram:
        asked = (name, tuple(labels.items()))
        try:
            return self._histograms[asked]
        except KeyError:
            histogram = self._histograms[asked] = _Histogram(
                _histogram_keys(PREFIX + name, labels_of(**labels))
            )
            return histogram

    def sample_ms(self, name: str, ms: float, **labels: str) -> None:
        """Count one sample of ``ms`` milliseconds in the history bucket it falls in."""
        if ms < 0 or math.isnan(ms):
            return
        key = self._key(name, {**labels, "le": bucket_label(ms)})
        self.samples[key] = self.samples.get(key, 0.0) + 1

    def record(self, event: str, fields: Mapping[str, Any]) -> None:
        """Update the series an event stands for; events without a metric are ignored."""
        handler = _HANDLERS.get(event)
        if handler is not None:
            handler(self, fields)


def _histogram_keys(full: str, base: Labels) -> _HistogramKeys:
    return _HistogramKeys(
        buckets=tuple((full + "_bucket", tuple(sorted((*base, ("le", le))))) for le in _LE),
        sum=(full + "_sum", base),
        count=(full + "_count", base),
    )


def _provider(fields: Mapping[str, Any]) -> str:
    return str(fields.get("provider", ""))


def _number(fields: Mapping[str, Any], key: str) -> float:
    value = fields.get(key)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _try(book: MetricBook, f: Mapping[str, Any]) -> None:
    book.inc("provider_attempts_total", provider=_provider(f))


def _ok(book: MetricBook, f: Mapping[str, Any]) -> None:
    book.inc("provider_outcomes_total", provider=_provider(f), outcome="ok")
    latency = f.get("latency_ms")
    if isinstance(latency, int | float):
        # For a stream the provider is "ok" at its first content: that latency is the time to first token.
        stream = bool(f.get("stream"))
        name = "provider_ttft_seconds" if stream else "upstream_latency_seconds"
        book.observe(name, latency / 1000, provider=_provider(f))
        book.sample_ms(TTFT_MS if stream else UPSTREAM_LATENCY_MS, latency, provider=_provider(f))


def _failed(book: MetricBook, f: Mapping[str, Any]) -> None:
    book.inc("provider_outcomes_total", provider=_provider(f), outcome="failed")
    book.inc("fallbacks_total", reason=str(f.get("reason", "error")))


def _broke(book: MetricBook, f: Mapping[str, Any]) -> None:
    book.inc("provider_outcomes_total", provider=_provider(f), outcome="failed_midstream")


def _skip(reason: str) -> Callable[[MetricBook, Mapping[str, Any]], None]:
    def handler(book: MetricBook, f: Mapping[str, Any]) -> None:
        book.inc("provider_skipped_total", provider=_provider(f), reason=reason)

    return handler


def _counter(name: str) -> Callable[[MetricBook, Mapping[str, Any]], None]:
    def handler(book: MetricBook, f: Mapping[str, Any]) -> None:
        book.inc(name)

    return handler


def _health(book: MetricBook, f: Mapping[str, Any]) -> None:
    book.inc("backend_health_transitions_total", provider=_provider(f), state=str(f.get("new_state", "")))


def _demoted(book: MetricBook, f: Mapping[str, Any]) -> None:
    book.inc("provider_demoted_unhealthy_total", provider=_provider(f))


def _degraded(book: MetricBook, f: Mapping[str, Any]) -> None:
    for capability in f.get("dropped") or ():
        book.inc("capability_degraded_total", capability=str(capability))


def _filtered(book: MetricBook, f: Mapping[str, Any]) -> None:
    for name in f.get("filters") or ():
        book.inc("output_filter_applied_total", filter=str(name))


def _cache(book: MetricBook, f: Mapping[str, Any]) -> None:
    provider = _provider(f)
    book.inc("cache_observed_total", provider=provider, outcome=str(f.get("outcome", "unknown")))
    book.inc("cache_read_tokens_total", _number(f, "cache_read_input_tokens"), provider=provider)
    book.inc("cache_creation_tokens_total", _number(f, "cache_creation_input_tokens"), provider=provider)
    book.inc("input_tokens_total", _number(f, "input_tokens"), provider=provider)
    book.inc("output_tokens_total", _number(f, "output_tokens"), provider=provider)
    book.inc("cost_total_usd_total", _number(f, "cost_usd"), provider=provider)
    book.inc("cost_savings_usd_total", _number(f, "cost_savings_usd"), provider=provider)


def _tool_loop(book: MetricBook, f: Mapping[str, Any]) -> None:
    book.inc("tool_loop_detected_total", action=str(f.get("action", "")))


def _request(book: MetricBook, f: Mapping[str, Any]) -> None:
    ingress, profile = str(f.get("ingress", "")), str(f.get("profile") or "")
    key = str(f.get("key") or "")
    status = str(f.get("status", ""))
    book.inc("client_requests_total", ingress=ingress, profile=profile, status=status, key=key)
    book.observe(
        "request_duration_seconds", _number(f, "duration_ms") / 1000, ingress=ingress, profile=profile
    )


_HANDLERS: dict[str, Callable[[MetricBook, Mapping[str, Any]], None]] = {
    "try-provider": _try,
    "provider-ok": _ok,
    "provider-failed": _failed,
    "provider-failed-midstream": _broke,
    "skip-paid-provider": _skip("paid"),
    "skip-budget-exceeded": _skip("budget"),
    "skip-memory-pressure": _skip("memory_pressure"),
    "skip-state-unavailable": _skip("state_unavailable"),
    "chain-paid-gate-blocked": _counter("chain_paid_gate_blocked_total"),
    "chain-budget-exceeded": _counter("chain_budget_exceeded_total"),
    "chain-memory-pressure-blocked": _counter("chain_memory_pressure_blocked_total"),
    "auto-router-fallthrough": _counter("auto_router_fallthrough_total"),
    "backend-health-changed": _health,
    "demote-unhealthy-provider": _demoted,
    "capability-degraded": _degraded,
    "output-filter-applied": _filtered,
    "cache-observed": _cache,
    "tool-loop-detected": _tool_loop,
    "request-completed": _request,
}
