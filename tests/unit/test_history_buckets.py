"""The metric history's latency buckets and quantiles (figures by hand)."""

from __future__ import annotations

import itertools

import pytest

from coderouter_supervisor.worker.telemetry.history_buckets import (
    HISTORY_BOUNDS_MS,
    bucket_label,
    growth,
    quantile_ms,
)


def test_bounds_start_at_half_a_millisecond_and_grow_at_most_five_thirds_fold() -> None:
    assert HISTORY_BOUNDS_MS[:4] == (0.5, 0.7, 1.0, 1.5)
    assert HISTORY_BOUNDS_MS[-1] == 300_000.0
    ratios = [b / a for a, b in itertools.pairwise(HISTORY_BOUNDS_MS)]
    assert max(ratios) <= 5 / 3


@pytest.mark.parametrize(
    ("ms", "label"),
    [
        (0.0, "0.5"),
        (0.5, "0.5"),
        (0.51, "0.7"),
        (1.2, "1.5"),
        (4.0, "5"),
        (299_999.0, "300000"),
        (4e5, "+Inf"),
    ],
)
def test_bucket_label(ms: float, label: str) -> None:
    assert bucket_label(ms) == label


@pytest.mark.parametrize(
    ("counts", "q", "expected"),
    [
        pytest.param({}, 0.5, None, id="no-samples"),
        pytest.param({"0.5": 2.0}, 0.5, 0.25, id="first-bucket-starts-at-zero"),
        pytest.param({"1": 4.0, "5": 1.0, "50": 1.0}, 0.5, 0.925, id="p50-inside-(0.7,1]"),
        pytest.param({"1": 4.0, "5": 1.0, "50": 1.0}, 0.95, 44.0, id="p95-inside-(30,50]"),
        pytest.param({"2": 1.0, "+Inf": 9.0}, 0.95, 2.0, id="overflow-is-its-lower-bound"),
    ],
)
def test_quantile_interpolates_inside_its_bucket(
    counts: dict[str, float], q: float, expected: float | None
) -> None:
    assert quantile_ms(counts, q) == (None if expected is None else pytest.approx(expected))


def test_growth_leaves_out_what_did_not_grow() -> None:
    a, b = ("a", ()), ("b", ())
    assert growth({a: 5.0, b: 2.0}, {a: 3.0, b: 2.0}) == {a: 2.0}
