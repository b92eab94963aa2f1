"""The instance's metrics at one moment, summed over every worker, as Prometheus text and as JSON.

Both the gateway's ``/metrics`` and the supervisor's endpoint render the same :class:`MetricsSnapshot`,
so they can only differ by the moment they were read. Prometheus text comes from ``prometheus_client``
(a custom collector over the snapshot), not from hand-written formatting.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from coderouter_supervisor.state import Labels, RecentEvent, SeriesKey
from coderouter_supervisor.worker.telemetry.metric_book import PREFIX, labels_of

_HELP = {
    "client_requests_total": "Model calls clients made, by ingress, profile and HTTP status.",
    "request_duration_seconds": "Client request duration until the last byte.",
    "provider_attempts_total": "Attempts on a provider (a request may make several).",
    "provider_outcomes_total": "Attempt outcomes per provider.",
    "provider_skipped_total": "Providers passed over by a gate, by reason.",
    "provider_ttft_seconds": "Time to the first content of a streamed answer, per provider.",
    "upstream_latency_seconds": "Duration of a non-streamed upstream call, per provider.",
    "fallbacks_total": "Failed attempts that moved a request on, by reason.",
    "cost_total_usd_total": "USD spent per provider, prompt-cache aware.",
    "cost_savings_usd_total": "USD saved by prompt-cache reads, per provider.",
    "input_tokens_total": "Input tokens per provider (excluding cache reads and writes).",
    "output_tokens_total": "Output tokens per provider.",
    "tool_loop_detected_total": "Tool loops detected, by the action taken.",
    "budget_spent_usd": "This UTC month's settled spend per provider.",
    "budget_cap_usd": "Monthly budget per provider.",
    "backend_health_state": "Backend health per provider: 0 healthy, 1 degraded, 2 unhealthy.",
    "memory_cooldown_until_seconds": "Unix time a provider cools down until, after running out of memory.",
    "workers_alive": "Worker processes with a fresh heartbeat.",
}


# How the backend_health_state gauge encodes a health state.
HEALTH_LEVEL = {"healthy": 0.0, "degraded": 1.0, "unhealthy": 2.0}


@dataclass(frozen=True)
class Gauge:
    name: str
    value: float
    labels: Labels = ()


@dataclass(frozen=True)
class ProfileOrder:
    """A profile's chain as a request would get it now (after gates and reorders)."""

    name: str
    static: tuple[str, ...]
    effective: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (provider, reason)


@dataclass(frozen=True)
class MetricsSnapshot:
    series: dict[SeriesKey, float]
    gauges: tuple[Gauge, ...] = ()
    taken_at: float = field(default_factory=time.time)
    profiles: tuple[ProfileOrder, ...] = ()
    recent: tuple[RecentEvent, ...] = ()

    def gauge(self, name: str, **labels: str) -> float | None:
        wanted = labels_of(**labels)
        return next((g.value for g in self.gauges if g.name == name and g.labels == wanted), None)

    def quantile_ms(self, histogram: str, q: float, **labels: str) -> float | None:
        """An estimate of quantile ``q`` of ``histogram`` (seconds) in ms, from its buckets; None if empty."""
        wanted = set(labels.items())
        buckets: dict[float, float] = defaultdict(float)
        for (name, ls), value in self.series.items():
            if name == PREFIX + histogram + "_bucket" and wanted <= set(ls):
                le = dict(ls)["le"]
                buckets[math.inf if le == "+Inf" else float(le)] += value
        return _quantile(sorted(buckets.items()), q)

    def total(self, name: str, **labels: str) -> float:
        """The sum of ``name``'s series whose labels include ``labels`` (name without the prefix)."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.series.items() if n == PREFIX + name and wanted <= set(ls))


def _quantile(cumulative: list[tuple[float, float]], q: float) -> float | None:
    """Linear interpolation inside the bucket where the cumulative count reaches ``q`` of the total."""
    if not cumulative or cumulative[-1][1] <= 0:
        return None
    target = q * cumulative[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in cumulative:
        if count >= target:
            if bound == math.inf:
                return lower_bound * 1000
            share = (target - lower_count) / (count - lower_count) if count > lower_count else 1.0
            return (lower_bound + (bound - lower_bound) * share) * 1000
        lower_bound, lower_count = bound, count
    return lower_bound * 1000


def _help(name: str) -> str:
    short = name.removeprefix(PREFIX)
    return _HELP.get(short, short.replace("_", " "))


class _SnapshotCollector(Collector):
    def __init__(self, snapshot: MetricsSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        counters: dict[str, dict[Labels, float]] = defaultdict(dict)
        histograms: dict[str, dict[Labels, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
        for (name, labels), value in sorted(self._snapshot.series.items()):
            if name.endswith("_bucket"):
                le = dict(labels)["le"]
                base = tuple(pair for pair in labels if pair[0] != "le")
                histograms[name.removesuffix("_bucket")][base].setdefault("buckets", []).append((le, value))
            elif name.endswith("_sum") and name.endswith("_seconds_sum"):
                histograms[name.removesuffix("_sum")][labels]["sum"] = value
            elif name.endswith("_seconds_count"):
                continue  # implied by the +Inf bucket
            else:
                counters[name][labels] = value
        for name, samples in counters.items():
            names = sorted({k for labels in samples for k, _ in labels})
            family = CounterMetricFamily(name, _help(name), labels=names)
            for labels, value in samples.items():
                as_dict = dict(labels)
                family.add_metric([as_dict.get(k, "") for k in names], value)
            yield family
        for name, per_labels in histograms.items():
            names = sorted({k for labels in per_labels for k, _ in labels})
            histogram = HistogramMetricFamily(name, _help(name), labels=names)
            for labels, parts in per_labels.items():
                buckets = sorted(parts.get("buckets", []), key=lambda b: float(b[0]))
                as_dict = dict(labels)
                histogram.add_metric([as_dict.get(k, "") for k in names], buckets, parts.get("sum", 0.0))
            yield histogram
        gauges: dict[str, list[Gauge]] = defaultdict(list)
        for gauge in self._snapshot.gauges:
            gauges[PREFIX + gauge.name].append(gauge)
        for name, items in gauges.items():
            names = sorted({k for g in items for k, _ in g.labels})
            gauge_family = GaugeMetricFamily(name, _help(name), labels=names)
            for g in items:
                as_dict = dict(g.labels)
                gauge_family.add_metric([as_dict.get(k, "") for k in names], g.value)
            yield gauge_family


def prometheus_text(snapshot: MetricsSnapshot) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(snapshot))
    return generate_latest(registry)


def _by(snapshot: MetricsSnapshot, name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for (n, labels), value in snapshot.series.items():
        if n == PREFIX + name:
            out[dict(labels).get(label, "")] += value
    return dict(out)


def metrics_json(snapshot: MetricsSnapshot) -> dict[str, Any]:
    """coderouter-cli's ``/metrics.json`` top-level shape (``counters``, ``providers``, ``recent``),
    plus what it lacked (client requests, gauges); never base URLs or keys."""
    attempts = _by(snapshot, "provider_attempts_total", "provider")
    outcomes: dict[str, dict[str, float]] = defaultdict(dict)
    for (n, labels), value in snapshot.series.items():
        if n == PREFIX + "provider_outcomes_total":
            as_dict = dict(labels)
            outcomes[as_dict["provider"]][as_dict["outcome"]] = value
    costs = _by(snapshot, "cost_total_usd_total", "provider")
    savings = _by(snapshot, "cost_savings_usd_total", "provider")
    gauged = {dict(g.labels)["provider"] for g in snapshot.gauges if dict(g.labels).get("provider")}
    providers = sorted(set(attempts) | set(outcomes) | set(costs) | gauged)
    return {
        "taken_at": snapshot.taken_at,
        "counters": {
            "client_requests_total": snapshot.total("client_requests_total"),
            "client_requests_by_status": _by(snapshot, "client_requests_total", "status"),
            "requests_total": sum(attempts.values()),
            "chain_paid_gate_blocked_total": snapshot.total("chain_paid_gate_blocked_total"),
            "chain_budget_exceeded_total": snapshot.total("chain_budget_exceeded_total"),
            "chain_memory_pressure_blocked_total": snapshot.total("chain_memory_pressure_blocked_total"),
            "auto_router_fallthrough_total": snapshot.total("auto_router_fallthrough_total"),
            "cache_read_tokens_total": snapshot.total("cache_read_tokens_total"),
            "cache_creation_tokens_total": snapshot.total("cache_creation_tokens_total"),
            "provider_attempts": attempts,
            "provider_outcomes": dict(outcomes),
            "cost_total_usd": {p: round(v, 6) for p, v in costs.items()},
            "cost_savings_usd": {p: round(v, 6) for p, v in savings.items()},
            "cost_total_usd_aggregate": round(sum(costs.values()), 6),
            "cost_savings_usd_aggregate": round(sum(savings.values()), 6),
            "tool_loop_detected": _by(snapshot, "tool_loop_detected_total", "action"),
            "fallbacks": _by(snapshot, "fallbacks_total", "reason"),
        },
        "providers": [
            {
                "name": name,
                "attempts": attempts.get(name, 0.0),
                "outcomes": outcomes.get(name, {}),
                "latency_ms": {
                    "p50": snapshot.quantile_ms("upstream_latency_seconds", 0.5, provider=name),
                    "p95": snapshot.quantile_ms("upstream_latency_seconds", 0.95, provider=name),
                },
                "ttft_ms": {
                    "p50": snapshot.quantile_ms("provider_ttft_seconds", 0.5, provider=name),
                    "p95": snapshot.quantile_ms("provider_ttft_seconds", 0.95, provider=name),
                },
                "health": _HEALTH_NAMES.get(
                    snapshot.gauge("backend_health_state", provider=name) or 0.0, "healthy"
                ),
                "cooldown_until": snapshot.gauge("memory_cooldown_until_seconds", provider=name),
                "budget": {
                    "spent_usd": snapshot.gauge("budget_spent_usd", provider=name),
                    "cap_usd": snapshot.gauge("budget_cap_usd", provider=name),
                },
                "cost": {
                    "total_usd": round(costs.get(name, 0.0), 6),
                    "savings_usd": round(savings.get(name, 0.0), 6),
                },
                "input_tokens": snapshot.total("input_tokens_total", provider=name),
                "output_tokens": snapshot.total("output_tokens_total", provider=name),
            }
            for name in providers
        ],
        "gauges": [{"name": g.name, "labels": dict(g.labels), "value": g.value} for g in snapshot.gauges],
        "profiles": [
            {
                "name": p.name,
                "static_order": list(p.static),
                "effective_order": list(p.effective),
                "skipped": [{"provider": name, "reason": reason} for name, reason in p.skipped],
            }
            for p in snapshot.profiles
        ],
        "recent": [
            {"ts": e.at, "pid": e.pid, "event": e.event, **_public(e.fields)} for e in snapshot.recent
        ],
    }


_HEALTH_NAMES = {level: name for name, level in HEALTH_LEVEL.items()}


def _public(fields: dict[str, Any]) -> dict[str, Any]:
    """Event fields fit for the dashboard: short values only (error texts are cut)."""
    return {k: (v[:200] if isinstance(v, str) else v) for k, v in fields.items() if k != "event"}
