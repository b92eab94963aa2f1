"""The dashboard's charts as data (pure): history rows in, one value per time slot out.

Every slot of a window is present (a quiet minute is a zero, not a gap), so a chart of a window has
as many points as the window has slots; a quantile of a slot without samples is None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.state import HistoryPoint
from coderouter_supervisor.worker.telemetry.history_buckets import quantile_ms
from coderouter_supervisor.worker.telemetry.metric_book import PREFIX, TTFT_MS, UPSTREAM_LATENCY_MS

QUANTILES = (("p50", 0.5), ("p95", 0.95))


@dataclass(frozen=True)
class Window:
    """``slots`` time slots of ``step_s`` seconds, the first starting at ``start`` (UTC seconds)."""

    start: int
    step_s: int
    slots: int

    @classmethod
    def ending_at(cls, now: float, step_s: int, slots: int) -> Window:
        """The ``slots`` slots up to and including the one ``now`` falls in."""
        last = int(now // step_s) * step_s
        return cls(last - (slots - 1) * step_s, step_s, slots)

    def slot_of(self, start: int) -> int | None:
        index = (start - self.start) // self.step_s
        return index if 0 <= index < self.slots else None

    def times(self) -> list[int]:
        return [self.start + i * self.step_s for i in range(self.slots)]


def _per_slot(
    window: Window, points: Iterable[HistoryPoint], name: str, label: str
) -> dict[str, list[float]]:
    """``name``'s growth per slot, summed by the value of ``label``."""
    out: dict[str, list[float]] = defaultdict(lambda: [0.0] * window.slots)
    for point in points:
        index = window.slot_of(point.start)
        if point.name == name and index is not None:
            out[dict(point.labels).get(label, "")][index] += point.value
    return dict(out)


def _quantiles(
    window: Window, points: Iterable[HistoryPoint], name: str
) -> dict[str, dict[str, list[float | None]]]:
    """Per provider, p50 and p95 of ``name``'s samples in each slot."""
    counts: dict[str, list[dict[str, float]]] = defaultdict(lambda: [{} for _ in range(window.slots)])
    for point in points:
        index = window.slot_of(point.start)
        if point.name == name and index is not None:
            labels = dict(point.labels)
            slot = counts[labels.get("provider", "")][index]
            slot[labels["le"]] = slot.get(labels["le"], 0.0) + point.value
    return {
        provider: {label: [quantile_ms(c, q) for c in slots] for label, q in QUANTILES}
        for provider, slots in sorted(counts.items())
    }


def traffic_chart(window: Window, points: Sequence[HistoryPoint]) -> dict[str, Any]:
    """Requests/s, error rate (share of client requests not answered 2xx), latency and TTFT quantiles
    per provider, and fallbacks by reason, slot by slot."""
    by_status = _per_slot(window, points, PREFIX + "client_requests_total", "status")
    requests = [sum(column) for column in zip(*by_status.values(), strict=True)] or [0.0] * window.slots
    errors = [
        sum(column)
        for column in zip(*(v for s, v in by_status.items() if not s.startswith("2")), strict=True)
    ] or [0.0] * window.slots
    return {
        "times": window.times(),
        "step_s": window.step_s,
        "requests_per_s": [n / window.step_s for n in requests],
        "error_rate": [e / n if n else 0.0 for e, n in zip(errors, requests, strict=True)],
        "latency_ms": _quantiles(window, points, UPSTREAM_LATENCY_MS),
        "ttft_ms": _quantiles(window, points, TTFT_MS),
        "fallbacks": dict(sorted(_per_slot(window, points, PREFIX + "fallbacks_total", "reason").items())),
    }


def spend_by_day(days: Window, points: Sequence[HistoryPoint], through: int) -> dict[str, list[float]]:
    """Per provider, spend summed from the first day of ``days`` through the end of each day, for the
    days up to slot ``through`` (today) only."""
    daily = _per_slot(days, points, PREFIX + "cost_total_usd_total", "provider")
    running: dict[str, list[float]] = {}
    for provider, values in sorted(daily.items()):
        total, sums = 0.0, []
        for value in values[: through + 1]:
            total += value
            sums.append(round(total, 6))
        running[provider] = sums
    return running
