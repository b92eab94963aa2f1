"""Where this month's spend is heading (pure): the month's end at the month's average burn rate so
far, and the day a cap is reached at that rate.

The average since the first of the month, not a recent window: a budget is a monthly sum, and a quiet
night or a busy hour should not swing the forecast.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class MonthProjection:
    """``name``'s month: ``spent_usd`` so far, ``month_end_usd`` at this rate, and when (UTC seconds)
    the rate reaches ``cap_usd`` this month (None: no cap, or not before the month ends)."""

    name: str
    spent_usd: float
    cap_usd: float | None
    month_end_usd: float
    cap_reached_at: float | None
    sentence: str


def month_bounds(now: float) -> tuple[float, float]:
    """The first moment of ``now``'s UTC month and of the next one."""
    year, month = time.gmtime(now)[:2]
    start = calendar.timegm((year, month, 1, 0, 0, 0))
    days = calendar.monthrange(year, month)[1]
    return float(start), float(start + days * 86400)


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st, 22nd."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _dollars(value: float) -> str:
    if value >= 1:
        return f"${value:,.2f}".removesuffix(".00")
    return "$" + f"{value:.4f}".rstrip("0").rstrip(".")


def project_month(name: str, spent_usd: float, cap_usd: float | None, now: float) -> MonthProjection:
    start, end = month_bounds(now)
    elapsed = max(now - start, 1.0)
    rate = spent_usd / elapsed  # USD per second
    month_end = spent_usd + rate * max(end - now, 0.0)
    reached_at: float | None = None
    if cap_usd is not None and spent_usd >= cap_usd:
        reached_at = now
        sentence = f"`{name}` has reached its {_dollars(cap_usd)} cap"
    elif spent_usd <= 0:
        sentence = f"`{name}` has spent nothing this month"
    elif cap_usd is not None and start + cap_usd / rate < end:
        reached_at = start + cap_usd / rate
        day = time.gmtime(reached_at).tm_mday
        sentence = f"at this rate `{name}` reaches its {_dollars(cap_usd)} cap on the {ordinal(day)}"
    elif cap_usd is not None:
        under = f"under its {_dollars(cap_usd)} cap"
        sentence = f"at this rate `{name}` ends the month at {_dollars(month_end)}, {under}"
    else:
        sentence = f"at this rate `{name}` ends the month at {_dollars(month_end)}"
    return MonthProjection(name, spent_usd, cap_usd, month_end, reached_at, sentence)
