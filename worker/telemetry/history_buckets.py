"""The fine latency buckets the metric history's quantiles are read from (pure).

The Prometheus histograms keep their buckets (scrapers' recording rules name them); the history has
its own, log-spaced from 0.5 ms in steps of 1-1.5-2-3-5-7 per decade (neighbours at most 5/3 apart), so a
model on loopback or the LAN (about 1 ms) gets a quantile of its own instead of a first-bucket
artefact. A sample is counted in exactly one bucket (not cumulatively), so a flush adds to one row
per sample's bucket.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from coderouter_supervisor.state import SeriesKey

_STEPS = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
HISTORY_BOUNDS_MS: tuple[float, ...] = tuple(
    bound
    for bound in (round(step * 10.0**exponent, 6) for exponent in range(-1, 6) for step in _STEPS)
    if 0.5 <= bound <= 300_000.0
)
INF = "+Inf"


def bucket_label(ms: float) -> str:
    """The ``le`` label of the bucket a sample of ``ms`` milliseconds is counted in."""
    for bound in HISTORY_BOUNDS_MS:
        if ms <= bound:
            return f"{bound:g}"
    return INF


def growth(current: Mapping[SeriesKey, float], written: Mapping[SeriesKey, float]) -> dict[SeriesKey, float]:
    """How much each series of ``current`` grew since ``written`` (series that did not grow are left out)."""
    grown = {key: value - written.get(key, 0.0) for key, value in current.items()}
    return {key: delta for key, delta in grown.items() if delta > 0}


def quantile_ms(counts: Mapping[str, float], q: float) -> float | None:
    """The ``q`` quantile of samples counted per bucket (``le`` label → count), interpolated linearly
    inside its bucket as Prometheus' ``histogram_quantile`` does (the first bucket starts at 0; a
    quantile in the overflow bucket is its lower bound). None without samples."""
    buckets = sorted(
        ((math.inf if le == INF else float(le), n) for le, n in counts.items() if n > 0), key=lambda b: b[0]
    )
    total = sum(n for _, n in buckets)
    if total <= 0:
        return None
    rank, below, lower = q * total, 0.0, 0.0
    for bound, n in buckets:
        if below + n >= rank:
            if bound == math.inf:
                return lower
            start = max((b for b in HISTORY_BOUNDS_MS if b < bound), default=0.0)
            return start + (bound - start) * (rank - below) / n
        below, lower = below + n, bound
    return lower
