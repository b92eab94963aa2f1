"""The month-end projection: figures computed by hand for December 2026 (31 days)."""

from __future__ import annotations

import calendar

import pytest

from coderouter_supervisor.worker.telemetry.spend_projection import month_bounds, ordinal, project_month

DAY = 86400.0
DEC_1 = float(calendar.timegm((2026, 12, 1, 0, 0, 0)))
DEC_10 = DEC_1 + 9 * DAY  # nine days gone


def test_month_bounds_of_december_and_february() -> None:
    assert month_bounds(DEC_10) == (DEC_1, DEC_1 + 31 * DAY)
    feb = float(calendar.timegm((2027, 2, 14, 12, 0, 0)))
    assert month_bounds(feb)[1] - month_bounds(feb)[0] == 28 * DAY


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (31, "31st"),
    ],
)
def test_ordinal(day: int, text: str) -> None:
    assert ordinal(day) == text


def test_a_cap_reached_before_the_month_ends() -> None:
    # $18 in 9 days is $2/day: $62 by the 31st's end, and $50 after 25 days, on Dec 26 00:00.
    p = project_month("claude", 18.0, 50.0, DEC_10)
    assert p.month_end_usd == pytest.approx(62.0)
    assert p.cap_reached_at == pytest.approx(DEC_1 + 25 * DAY)
    assert p.sentence == "at this rate `claude` reaches its $50 cap on the 26th"


def test_a_cap_not_reached_this_month() -> None:
    # $9 in 9 days is $1/day: $31 at the month's end.
    p = project_month("claude", 9.0, 50.0, DEC_10)
    assert p.month_end_usd == pytest.approx(31.0)
    assert p.cap_reached_at is None
    assert p.sentence == "at this rate `claude` ends the month at $31, under its $50 cap"


@pytest.mark.parametrize(
    ("spent", "cap", "reached", "sentence"),
    [
        pytest.param(50.0, 50.0, DEC_10, "`claude` has reached its $50 cap", id="reached"),
        pytest.param(0.0, 50.0, None, "`claude` has spent nothing this month", id="nothing"),
        pytest.param(4.5, None, None, "at this rate `claude` ends the month at $15.50", id="no-cap"),
        pytest.param(
            0.09, 0.5, None, "at this rate `claude` ends the month at $0.31, under its $0.5 cap", id="cents"
        ),
    ],
)
def test_other_months(spent: float, cap: float | None, reached: float | None, sentence: str) -> None:
    p = project_month("claude", spent, cap, DEC_10)
    assert p.cap_reached_at == reached
    assert p.sentence == sentence
