"""What ``/dashboard.json`` and ``stats --json`` show beyond the snapshot: the history charts, the
month's spend by day with each cap and its projection, and each client key's month.

:func:`dashboard_history` is pure; :func:`collect_dashboard` reads the store for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from coderouter_supervisor.state import ClientKey, HistoryPoint, LedgerEntry, StateBackend
from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.money import month_key
from coderouter_supervisor.worker.telemetry import (
    Window,
    month_bounds,
    project_month,
    spend_by_day,
    traffic_chart,
)

# The two traffic windows: the last hour by minute, the last day by hour.
HOUR_WINDOW = (60, 60)
DAY_WINDOW = (3600, 24)
_DAY_S = 86400


def key_usage(
    keys: Sequence[ClientKey], usage: Mapping[str, LedgerEntry], now: float
) -> list[dict[str, Any]]:
    """Each key's month (``usage`` by key name): requests, tokens, spend, limits and projection."""
    rows = []
    for key in keys:
        used = usage.get(key.name, LedgerEntry(key.name, month_key(now)))
        projection = project_month(key.name, used.spent_usd, key.monthly_budget_usd, now)
        rows.append(
            {
                "name": key.name,
                "active": key.active,
                "requests": used.requests,
                "input_tokens": used.input_tokens,
                "output_tokens": used.output_tokens,
                "spent_usd": round(used.spent_usd, 6),
                "budget_usd": key.monthly_budget_usd,
                "max_concurrent": key.max_concurrent,
                "requests_per_minute": key.requests_per_minute,
                "projection": _projection_json(projection),
            }
        )
    return rows


def _projection_json(projection: Any) -> dict[str, Any]:
    fields = asdict(projection)
    fields["month_end_usd"] = round(fields["month_end_usd"], 6)
    return fields


def dashboard_history(
    *,
    now: float,
    minutes: Sequence[HistoryPoint],
    hours: Sequence[HistoryPoint],
    providers: Mapping[str, LedgerEntry],
    caps: Mapping[str, float | None],
    keys: Sequence[ClientKey],
    key_ledger: Mapping[str, LedgerEntry],
) -> dict[str, Any]:
    """The charts and the month as JSON-ready data. ``providers``/``key_ledger``: this month's ledger
    by provider and by key name; ``caps``: each priced provider's monthly cap (None: no cap)."""
    start, end = month_bounds(now)
    days = Window(int(start), _DAY_S, int(end - start) // _DAY_S)
    today = int(now - start) // _DAY_S
    return {
        "now": now,
        "hour": traffic_chart(Window.ending_at(now, *HOUR_WINDOW), minutes),
        "day": traffic_chart(Window.ending_at(now, *DAY_WINDOW), hours),
        "month": {
            "month": month_key(now),
            "days": days.slots,
            "spend_by_day": spend_by_day(days, hours, today),
            "caps": {name: cap for name, cap in caps.items() if cap is not None},
            "projections": [
                _projection_json(
                    project_month(name, providers[name].spent_usd if name in providers else 0.0, cap, now)
                )
                for name, cap in caps.items()
            ],
        },
        "keys": key_usage(keys, key_ledger, now),
    }


async def collect_dashboard(
    store: StateBackend, config: CodeRouterConfig, now: float, *, key_ledger_prefix: str
) -> dict[str, Any]:
    """Read the history, this month's ledger and the keys. Raises ``StateError`` when the store cannot
    be read. Ledger entries named ``key_ledger_prefix`` + name are client keys' months."""
    day = Window.ending_at(now, *DAY_WINDOW)
    minutes = await store.read_history("minute", Window.ending_at(now, *HOUR_WINDOW).start)
    hours = await store.read_history("hour", min(day.start, month_bounds(now)[0]))
    ledger = {entry.provider: entry for entry in await store.read_ledger(month_key(now))}
    caps = {
        provider.name: provider.cost.monthly_budget_usd
        for provider in config.providers
        if provider.cost is not None
    }
    return dashboard_history(
        now=now,
        minutes=minutes,
        hours=hours,
        providers=ledger,
        caps=caps,
        keys=await store.read_keys(),
        key_ledger={
            name.removeprefix(key_ledger_prefix): entry
            for name, entry in ledger.items()
            if name.startswith(key_ledger_prefix)
        },
    )
