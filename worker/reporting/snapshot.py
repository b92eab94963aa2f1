"""Read the instance's metrics from the state file: every worker's counters plus the live gauges."""

from __future__ import annotations

import os

from coderouter_supervisor.state import StateBackend
from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.guards import WINDOW_S
from coderouter_supervisor.worker.money import month_key
from coderouter_supervisor.worker.routing import (
    CapabilityRegistry,
    bundled_rules,
    chain_facts_from,
    missing_keys,
    resolve_chain,
)
from coderouter_supervisor.worker.telemetry import (
    HEALTH_LEVEL,
    Gauge,
    MetricsSnapshot,
    ProfileOrder,
    labels_of,
)

# The order shown for a profile involves no request, so no capability gate applies.
_REGISTRY = CapabilityRegistry(bundled_rules())


async def collect_snapshot(store: StateBackend, config: CodeRouterConfig, now: float) -> MetricsSnapshot:
    """Raises ``StateError`` when the state file cannot be read."""
    names = [provider.name for provider in config.providers]
    series = await store.metric_totals()
    adaptive = any(profile.adaptive for profile in config.profiles)
    facts = await store.read_provider_facts(
        names, month=month_key(now), attempts_since=now - WINDOW_S if adaptive else None
    )
    workers = await store.list_workers(now)
    recent = await store.recent_events()
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
            Gauge("backend_health_state", HEALTH_LEVEL.get(health.state, 0.0) if health else 0.0, labels)
        )
        until = facts.cooldown_until.get(provider.name)
        if until is not None and until > now:
            gauges.append(Gauge("memory_cooldown_until_seconds", until, labels))
    routing_facts = chain_facts_from(facts)
    profiles = []
    for profile in config.profiles:
        plan = resolve_chain(
            config,
            profile,
            routing_facts,
            now,
            registry=_REGISTRY,
            missing_keys=missing_keys(config, profile, os.environ),
        )
        skipped = tuple((skip.provider, skip.reason) for skip in plan.skips)
        profiles.append(ProfileOrder(profile.name, profile.providers, plan.names, skipped))
    return MetricsSnapshot(series, tuple(gauges), now, tuple(profiles), tuple(recent))
