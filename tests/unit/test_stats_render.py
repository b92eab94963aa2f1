"""The `stats` table: what its header and rows say about spend."""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.supervisor.commands.stats import render_stats


def _stats(cost_counter: float, spent: list[float | None]) -> dict[str, Any]:
    providers = [
        {
            "name": f"p{i}",
            "health": "healthy",
            "attempts": 1.0,
            "outcomes": {"ok": 1.0},
            "latency_ms": {"p50": 10.0, "p95": 20.0},
            "ttft_ms": {"p50": 5.0},
            "budget": {"spent_usd": s, "cap_usd": None if s is None else 1.0},
        }
        for i, s in enumerate(spent)
    ]
    return {
        "counters": {
            "client_requests_by_status": {"200": 3.0},
            "client_requests_total": 3.0,
            "requests_total": 3.0,
            "cost_total_usd_aggregate": cost_counter,
            "cost_savings_usd_aggregate": 0.0,
        },
        "gauges": [{"name": "workers_alive", "value": 1.0}],
        "providers": providers,
        "profiles": [],
    }


def test_header_spend_is_this_months_ledger_so_a_budget_reset_shows() -> None:
    # The counter keeps every dollar since the workers' first flush; `budget reset` clears the ledger.
    header = render_stats(_stats(4.5, [0.0, None])).splitlines()[0]
    assert "spent this month $0.0000" in header


def test_header_spend_sums_the_providers_ledgers() -> None:
    header = render_stats(_stats(9.0, [0.25, 0.5, None])).splitlines()[0]
    assert "spent this month $0.7500" in header
