"""Read the instance's metrics from the state file: every worker's counters plus the live gauges."""

from __future__ import annotations

from coderouter_supervisor.state import StateStore
from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.routing.facts import month_key
from coderouter_supervisor.worker.telemetry.exposition import Gauge, MetricsSnapshot
from coderouter_supervisor.worker.telemetry.metric_book import labels_of

_HEALTH_LEVEL = {"healthy": 0.0, "degraded": 1.0, "unhealthy": 2.0}


async def collect_snapshot(store: StateStore, config: CodeRouterConfig, now: float) -> MetricsSnapshot:
    """Raises ``StateError`` when the state file cannot be read."""
    names = [provider.name for provider in config.providers]
    series = await store.metric_totals()
    facts = await store.read_provider_facts(names, month=month_key(now), attempts_since=None)
    workers = await store.list_live_workers(now)
    gauges: list[Gauge] = [Gauge("workers_alive", float(len(workers)))]
    for provider in config.providers:
        labels = labels_of(provider=provider.name)
        entry = facts.ledger.get(provider.name)
        if provider.cost is not None or (entry is not None and entry.spent_usd):
            gauges.append(Gauge("budget_spent_usd", entry.spent_usd if entry else 0.0, labels))
        if provider.cost is not None and provider.cost.monthly_budget_usd is not None:
            gauges.append(Gauge("budget_cap_usd", provider.cost.monthly_budget_usd, labels))
        health = facts.health.get(provider.name)
        gauges.append(
            Gauge("backend_health_state", _HEALTH_LEVEL.get(health.state, 0.0) if health else 0.0, labels)
        )
        until = facts.cooldown_until.get(provider.name)
        if until is not None and until > now:
            gauges.append(Gauge("memory_cooldown_until_seconds", until, labels))
    return MetricsSnapshot(series, tuple(gauges), now)
