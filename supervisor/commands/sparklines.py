"""The metric history as terminal sparklines, for ``stats --watch`` (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

BARS = "▁▂▃▄▅▆▇█"
GAP = " "


def sparkline(values: Sequence[float | None]) -> str:
    """One character per value, scaled from zero to the largest value; None is a blank."""
    top = max((v for v in values if v is not None), default=0.0)
    return "".join(
        GAP
        if v is None
        else BARS[0]
        if top <= 0
        else BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))]
        for v in values
    )


def _peak(values: Sequence[float | None]) -> float:
    return max((v for v in values if v is not None), default=0.0)


def render_history(traffic: dict[str, Any], title: str) -> str:
    """Requests/s, error rate, latency p50 per provider and fallbacks, one sparkline each, with its peak."""
    rows: list[tuple[str, Sequence[float | None], str]] = [
        ("requests/s", traffic["requests_per_s"], f"max {_peak(traffic['requests_per_s']):.2f}/s"),
        ("errors", traffic["error_rate"], f"max {100 * _peak(traffic['error_rate']):.0f} %"),
    ]
    for provider, quantiles in traffic["latency_ms"].items():
        rows.append((f"{provider} p50", quantiles["p50"], f"max {_peak(quantiles['p50']):.0f} ms"))
    for provider, quantiles in traffic["ttft_ms"].items():
        rows.append((f"{provider} ttft", quantiles["p50"], f"max {_peak(quantiles['p50']):.0f} ms"))
    for reason, counts in traffic["fallbacks"].items():
        rows.append((f"fallback {reason}", counts, f"{sum(counts):.0f} in all"))
    width = max(len(name) for name, _, _ in rows)
    return "\n".join([title, *(f"  {name.ljust(width)}  {sparkline(v)}  {peak}" for name, v, peak in rows)])
