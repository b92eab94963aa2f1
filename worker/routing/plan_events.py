"""The structured events that explain a :class:`ChainPlan` (pure: the caller emits them).

Names and fields follow coderouter-cli's event catalogue so log consumers carry over.
"""

from __future__ import annotations

from dataclasses import dataclass

from coderouter_supervisor.worker.errors import NoProviderLeft
from coderouter_supervisor.worker.money import BUDGET_HINT, month_resets_at
from coderouter_supervisor.worker.routing.chain import ChainPlan, SkipReason
from coderouter_supervisor.worker.telemetry import Level

_CHAIN_BLOCKED: dict[SkipReason, tuple[str, str]] = {
    "cooldown": (
        "chain-memory-pressure-blocked",
        "every provider is cooling down after running out of memory; wait, free memory, or add a provider "
        "that is not local to this profile",
    ),
    "budget": ("chain-budget-exceeded", BUDGET_HINT),
    "no-key": (
        "chain-api-key-missing",
        "set the api_key_env variable of these providers where the gateway runs (`coderouter-supervisor "
        "doctor` lists them), or add a provider that needs no key to this profile's chain",
    ),
    "paid": (
        "chain-paid-gate-blocked",
        "set ALLOW_PAID=true, mark a provider paid=false, or add a free provider to this profile's chain",
    ),
}
# When several gates emptied the chain, the first reason here is the one reported.
_BLOCKED_PRECEDENCE: tuple[SkipReason, ...] = ("cooldown", "budget", "no-key", "paid")


@dataclass(frozen=True)
class RoutingEvent:
    name: str
    level: Level
    fields: dict[str, object]


def plan_events(plan: ChainPlan) -> list[RoutingEvent]:
    """One event per skip, demotion and reorder, and one aggregate warning for an empty chain."""
    events: list[RoutingEvent] = []
    for skip in plan.skips:
        if skip.reason == "paid":
            events.append(
                RoutingEvent(
                    "skip-paid-provider", "info", {"profile": plan.profile, "provider": skip.provider}
                )
            )
        elif skip.reason == "budget":
            fields: dict[str, object] = {
                "provider": skip.provider,
                "profile": plan.profile,
                "monthly_budget_usd": skip.cap_usd,
                "current_total_usd": round(skip.spent_usd, 6),
                "month": plan.month,
            }
            events.append(RoutingEvent("skip-budget-exceeded", "info", fields))
        elif skip.reason == "no-key":
            fields = {"provider": skip.provider, "profile": plan.profile, "api_key_env": skip.key_env}
            events.append(RoutingEvent("skip-missing-api-key", "warning", fields))
        else:
            fields = {
                "provider": skip.provider,
                "profile": plan.profile,
                "seconds_until_eligible": skip.seconds_until_eligible,
            }
            events.append(RoutingEvent("skip-memory-pressure", "info", fields))
    if not plan.attempts:
        events.append(chain_blocked_event(plan))
    for name in plan.demoted:
        events.append(
            RoutingEvent("demote-unhealthy-provider", "info", {"provider": name, "profile": plan.profile})
        )
    if plan.adaptive is not None and plan.adaptive.changed:
        stats = {
            name: {
                "median_latency_ms": s.median_latency_ms,
                "error_rate": round(s.error_rate, 4),
                "sample_count": s.sample_count,
            }
            for name, s in plan.adaptive.stats.items()
        }
        fields = {
            "profile": plan.profile,
            "static_order": list(plan.static_order),
            "effective_order": list(plan.adaptive.order),
            "stats": stats,
        }
        events.append(RoutingEvent("adaptive-routing-applied", "info", fields))
    if plan.deferred_for_thinking:
        fields = {
            "profile": plan.profile,
            "deferred": list(plan.deferred_for_thinking),
            "effective_order": list(plan.names),
            "reason": "thinking-requested",
        }
        events.append(RoutingEvent("chain-reordered-for-thinking", "info", fields))
    for attempt in plan.attempts:
        if attempt.drop_thinking:
            fields = {
                "provider": attempt.name,
                "dropped": ["thinking"],
                "reason": "provider-does-not-support",
            }
            events.append(RoutingEvent("capability-degraded", "info", fields))
        if attempt.lossy_cache_control:
            fields = {"provider": attempt.name, "dropped": ["cache_control"], "reason": "translation-lossy"}
            events.append(RoutingEvent("capability-degraded", "info", fields))
    return events


def _blocked_reason(plan: ChainPlan) -> SkipReason:
    reasons = {skip.reason for skip in plan.skips}
    return next((r for r in _BLOCKED_PRECEDENCE if r in reasons), "paid")


def chain_blocked_event(plan: ChainPlan) -> RoutingEvent:
    """The warning for a plan that left nothing to try, naming the gate that blocked it."""
    reason = _blocked_reason(plan)
    name, hint = _CHAIN_BLOCKED[reason]
    fields: dict[str, object] = {
        "profile": plan.profile,
        "blocked_providers": [skip.provider for skip in plan.skips],
        "hint": hint,
    }
    if reason == "budget":
        fields["month"] = plan.month
    return RoutingEvent(name, "warning", fields)


def blocked_error(plan: ChainPlan) -> NoProviderLeft:
    """What the client is told when the gates left nothing to try: when a budget resets, and a
    ``retry-after`` only for a cooldown (every other gate refuses a retry just the same)."""
    event = chain_blocked_event(plan)
    message = f"profile {plan.profile!r} has no provider to try ({event.name}): {event.fields['hint']}"
    reason = _blocked_reason(plan)
    if reason == "budget":
        message += f"; budgets reset at {month_resets_at(plan.month)}"
    cooldowns = [skip.seconds_until_eligible for skip in plan.skips if skip.reason == "cooldown"]
    retry_after = float(max(1, min(cooldowns))) if reason == "cooldown" and cooldowns else None
    chain = tuple(f"{skip.provider};skipped={skip.reason}" for skip in plan.skips)
    return NoProviderLeft(message, retry_after=retry_after, chain=chain)
