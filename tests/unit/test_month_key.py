"""The budget month of a moment, remembered between calls, is always what formatting it gives."""

from __future__ import annotations

import calendar
import random
import time

import pytest

from coderouter_supervisor.worker.money import month_key


def formatted(now: float) -> str:
    return time.strftime("%Y-%m", time.gmtime(now))


def month_edges() -> list[float]:
    """Around the first second of every month of a few years (a leap February included)."""
    edges = []
    for year in (1970, 2024, 2026, 2027):
        for month in range(1, 13):
            first = calendar.timegm((year, month, 1, 0, 0, 0))
            edges += [first - 1, first - 0.5, first - 1e-6, first, first + 1e-6, first + 0.5, first + 1]
    return edges


@pytest.mark.parametrize("order", ["forward", "backward", "shuffled"])
def test_month_key_matches_formatting_at_every_month_edge(order: str) -> None:
    moments = month_edges()
    if order == "backward":
        moments.reverse()
    elif order == "shuffled":
        random.Random(19).shuffle(moments)
    assert [month_key(now) for now in moments] == [formatted(now) for now in moments]


def test_month_key_matches_formatting_at_random_moments() -> None:
    rng = random.Random(7)
    moments = [rng.uniform(0, 4e9) for _ in range(2000)] + [1.7e9] * 3 + [-0.5, 0.0]
    assert [month_key(now) for now in moments] == [formatted(now) for now in moments]


def test_the_key_of_a_month_asked_twice_stays_that_months() -> None:
    june = calendar.timegm((2026, 6, 15, 12, 0, 0))
    assert month_key(june) == month_key(june + 1) == "2026-06"
    assert month_key(calendar.timegm((2026, 7, 1, 0, 0, 0))) == "2026-07"
