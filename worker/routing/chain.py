"""The providers a profile will try, in order: gates, then ordering (pure).

Order of the steps, as in coderouter-cli: paid gate, budget gate, memory-pressure skip,
backend-health demotion, adaptive reorder, capability gates. Gates remove a provider (a
:class:`Skip`); the other steps only reorder or mark an attempt as degraded. The same
function serves both ingresses, so one providers.yaml routes the same whichever protocol a
request came in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from coderouter_supervisor.worker.config import CodeRouterConfig, ProfileConfig, ProviderConfig, read_api_key
from coderouter_supervisor.worker.guards import (
    AdaptiveOrder,
    RankMemory,
    adaptive_order,
    demote_unhealthy,
    in_cooldown,
    seconds_until_eligible,
)
from coderouter_supervisor.worker.money import month_key
from coderouter_supervisor.worker.routing.capabilities import (
    CapabilityRegistry,
    can_think,
    supports_cache_control,
)
from coderouter_supervisor.worker.routing.chain_facts import ChainFacts

SkipReason = Literal["paid", "no-key", "budget", "cooldown"]
ThinkingRequest = Literal["enabled", "adaptive"]


@dataclass(frozen=True)
class RequestTraits:
    """What about the request changes routing: a thinking request, prompt-cache markers."""

    thinking: ThinkingRequest | None = None
    cache_control: bool = False


@dataclass(frozen=True)
class Skip:
    provider: str
    reason: SkipReason
    seconds_until_eligible: int = 0
    spent_usd: float = 0.0
    cap_usd: float = 0.0
    key_env: str = ""  # "no-key": the variable that is not set


@dataclass(frozen=True)
class PlannedAttempt:
    """One provider to try. ``drop_thinking``: it cannot think, so the request's thinking is
    removed rather than failing; ``lossy_cache_control``: its cache markers cannot be kept."""

    provider: ProviderConfig
    drop_thinking: bool = False
    lossy_cache_control: bool = False

    @property
    def name(self) -> str:
        return self.provider.name


@dataclass(frozen=True)
class ChainPlan:
    profile: str
    month: str
    attempts: tuple[PlannedAttempt, ...]
    skips: tuple[Skip, ...] = ()
    demoted: tuple[str, ...] = ()
    adaptive: AdaptiveOrder | None = None
    static_order: tuple[str, ...] = field(default=())
    # Providers moved behind the ones that can think, for a request with a thinking budget.
    deferred_for_thinking: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(attempt.name for attempt in self.attempts)


def missing_keys(config: CodeRouterConfig, profile: ProfileConfig, env: Mapping[str, str]) -> frozenset[str]:
    """The profile's providers that need a key ``env`` does not hold. Read per request by the
    gateway, so a key exported into a service's environment file counts after a restart, a rotated
    one at once; read by the views of the chain too, so they show the same skips."""
    needing = (config.provider(name) for name in profile.providers)
    return frozenset(p.name for p in needing if p.api_key_env and read_api_key(p, env) is None)


def _gate(
    provider: ProviderConfig,
    config: CodeRouterConfig,
    profile: ProfileConfig,
    facts: ChainFacts,
    now: float,
    missing_keys: frozenset[str],
) -> Skip | None:
    if provider.paid and not config.allow_paid:
        return Skip(provider.name, "paid")
    if provider.name in missing_keys:
        # Sent without its key the request would only earn a 401, after the prompt left the box.
        return Skip(provider.name, "no-key", key_env=provider.api_key_env or "")
    cap = provider.cost.monthly_budget_usd if provider.cost is not None else None
    if cap is not None:
        budget = facts.budget_of(provider.name, month_key(now))
        if budget.spent_usd + budget.reserved_usd >= cap:
            return Skip(provider.name, "budget", spent_usd=budget.spent_usd, cap_usd=cap)
    until = facts.cooldown_until.get(provider.name)
    if profile.memory_pressure_action == "skip" and in_cooldown(until, now):
        return Skip(provider.name, "cooldown", seconds_until_eligible=seconds_until_eligible(until, now))
    return None


def resolve_chain(
    config: CodeRouterConfig,
    profile: ProfileConfig,
    facts: ChainFacts,
    now: float,
    *,
    traits: RequestTraits = RequestTraits(),
    registry: CapabilityRegistry,
    rank_memory: Mapping[str, RankMemory] | None = None,
    missing_keys: frozenset[str] = frozenset(),
) -> ChainPlan:
    """The attempts for ``profile`` given ``facts`` at ``now``; an empty plan means nothing is left.

    ``rank_memory`` is this profile's adaptive rank memory from the last call (the caller keeps
    ``plan.adaptive.memory`` for the next one). ``missing_keys`` names the providers whose
    ``api_key_env`` variable is unset or empty right now.
    """
    providers = [config.provider(name) for name in profile.providers]
    kept: list[ProviderConfig] = []
    skips: list[Skip] = []
    for provider in providers:
        skip = _gate(provider, config, profile, facts, now, missing_keys)
        if skip is None:
            kept.append(provider)
        else:
            skips.append(skip)
    by_name = {provider.name: provider for provider in kept}
    order = tuple(by_name)
    static_order = order

    demoted: tuple[str, ...] = ()
    if profile.backend_health_action == "demote":
        order, demoted = demote_unhealthy(order, facts.health)

    adaptive: AdaptiveOrder | None = None
    if profile.adaptive and order:
        adaptive = adaptive_order(order, facts.observations, rank_memory or {}, now)
        order = adaptive.order

    attempts = [
        PlannedAttempt(
            by_name[name],
            drop_thinking=traits.thinking is not None and not can_think(by_name[name], registry),
            lossy_cache_control=traits.cache_control and not supports_cache_control(by_name[name], registry),
        )
        for name in order
    ]
    deferred: tuple[str, ...] = ()
    if traits.thinking == "enabled":
        # An explicit thinking budget: providers that can think go first (stable). Adaptive thinking
        # is the model's choice, so it never reorders the user's chain.
        before = [attempt.name for attempt in attempts]
        attempts.sort(key=lambda attempt: attempt.drop_thinking)
        deferred = _moved_back(before, attempts)
    return ChainPlan(
        profile=profile.name,
        month=month_key(now),
        attempts=tuple(attempts),
        skips=tuple(skips),
        demoted=demoted,
        adaptive=adaptive,
        static_order=static_order,
        deferred_for_thinking=deferred,
    )


def _moved_back(before: list[str], after: list[PlannedAttempt]) -> tuple[str, ...]:
    """The providers that went behind another one because they cannot think, in their old order."""
    position = {attempt.name: index for index, attempt in enumerate(after)}
    return tuple(name for index, name in enumerate(before) if position[name] > index)
