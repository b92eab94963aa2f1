"""``coderouter-supervisor stats``: the instance's aggregate as a compact table, once or ``--watch``."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import click

from coderouter_supervisor.state import StateError, StateLocation, open_state
from coderouter_supervisor.supervisor.cli_support import (
    EXIT_FAILURE,
    EXIT_INVALID,
    config_option,
    fail,
    instance_and_config,
    require_state,
    state_option,
)
from coderouter_supervisor.supervisor.commands.sparklines import render_history
from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.money import KEY_LEDGER_PREFIX
from coderouter_supervisor.worker.reporting import collect_dashboard, collect_snapshot
from coderouter_supervisor.worker.telemetry import metrics_json


async def _read(state_db: StateLocation, config: CodeRouterConfig) -> dict[str, Any]:
    store = await open_state(state_db)
    try:
        now = time.time()
        stats = metrics_json(await collect_snapshot(store, config, now))
        dashboard = await collect_dashboard(store, config, now, key_ledger_prefix=KEY_LEDGER_PREFIX)
    finally:
        await store.close()
    history = {window: dashboard[window] for window in ("hour", "day")}
    return {**stats, "history": history, "month": dashboard["month"], "keys": dashboard["keys"]}


def read_stats(state_db: StateLocation, config: CodeRouterConfig) -> dict[str, Any]:
    """The aggregate of ``/metrics.json`` with the history, the month's projections and each client
    key's month. Raises ``StateError`` when the state file cannot be read."""
    return asyncio.run(_read(state_db, config))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def render_stats(stats: dict[str, Any]) -> str:
    counters = stats["counters"]
    by_status = counters["client_requests_by_status"]
    errors = sum(n for status, n in by_status.items() if not str(status).startswith("2"))
    workers = next((g["value"] for g in stats["gauges"] if g["name"] == "workers_alive"), 0)
    # The month's ledger, not the lifetime cost counter: a `budget reset` shows here at once.
    month_spent = sum(p["budget"]["spent_usd"] or 0.0 for p in stats["providers"])
    lines = [
        f"requests {counters['client_requests_total']:.0f} ({errors:.0f} errors), "
        f"attempts {counters['requests_total']:.0f}, workers alive {workers:.0f}, "
        f"spent this month ${month_spent:.4f}, "
        f"saved ${counters['cost_savings_usd_aggregate']:.4f}",
        "",
    ]
    rows = [
        ("PROVIDER", "HEALTH", "ATTEMPTS", "OK", "FAILED", "P50 MS", "P95 MS", "TTFT P50", "SPENT", "CAP")
    ]
    for p in stats["providers"]:
        outcomes = p["outcomes"]
        spent, cap = p["budget"]["spent_usd"], p["budget"]["cap_usd"]
        rows.append(
            (
                p["name"],
                p["health"],
                f"{p['attempts']:.0f}",
                f"{outcomes.get('ok', 0):.0f}",
                f"{outcomes.get('failed', 0) + outcomes.get('failed_midstream', 0):.0f}",
                _ms(p["latency_ms"]["p50"]),
                _ms(p["latency_ms"]["p95"]),
                _ms(p["ttft_ms"]["p50"]),
                "-" if spent is None else f"{spent:.4f}",
                "-" if cap is None else f"{cap:.2f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines += [
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines += ["", "chains now:"]
    for profile in stats["profiles"]:
        skipped = ", ".join(f"{s['provider']} ({s['reason']})" for s in profile["skipped"])
        lines.append(
            f"  {profile['name']}: {' -> '.join(profile['effective_order']) or '(nothing)'}"
            + (f"   skipped: {skipped}" if skipped else "")
        )
    projections = [p["sentence"] for p in stats.get("month", {}).get("projections", [])]
    projections += [k["projection"]["sentence"] for k in stats.get("keys", []) if k["active"]]
    if projections:
        lines += ["", "this month:", *(f"  {sentence}" for sentence in projections)]
    return "\n".join(lines)


@click.command()
@config_option
@state_option
@click.option(
    "--watch", is_flag=True, help="Redraw every 2 seconds until Ctrl-C, with the last hour as sparklines."
)
@click.option("--json", "as_json", is_flag=True, help="The same aggregate as /metrics.json.")
def stats(config: str | None, state: str | None, watch: bool, as_json: bool) -> None:
    """Requests, providers, latency, spend and chains, summed over every worker."""
    loaded, state_db = instance_and_config(config, state)
    if loaded is None:
        fail("no config to name the providers (pass --config)", EXIT_INVALID)
        return
    require_state(state_db)
    while True:
        try:
            current = read_stats(state_db, loaded)
        except StateError as exc:
            fail(str(exc), EXIT_FAILURE)
            return
        output = json.dumps(current, indent=2) if as_json else render_stats(current)
        if watch and not as_json:
            output += "\n\n" + render_history(current["history"]["hour"], "last hour, by minute:")
        if not watch:
            click.echo(output)
            return
        click.clear()
        click.echo(output)
        try:
            time.sleep(2)
        except KeyboardInterrupt:
            return
