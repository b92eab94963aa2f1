"""Choose the chain: profile selection, auto router, gates and ordering (pure), and the facts it reads."""

from __future__ import annotations

from coderouter_supervisor.worker.routing.auto_router import (
    AutoRoute,
    RequestSignals,
    classify,
    request_signals,
)
from coderouter_supervisor.worker.routing.capabilities import (
    CapabilityRegistry,
    ModelCapabilities,
    bundled_rules,
    can_think,
    load_registry,
    parse_registry,
    request_has_cache_control,
    request_wants_thinking,
    supports_cache_control,
    supports_thinking,
)
from coderouter_supervisor.worker.routing.chain import (
    ChainPlan,
    PlannedAttempt,
    RequestTraits,
    Skip,
    missing_keys,
    resolve_chain,
)
from coderouter_supervisor.worker.routing.chain_facts import (
    BudgetStatus,
    ChainFacts,
    chain_facts_from,
    health_from,
)
from coderouter_supervisor.worker.routing.plan_events import RoutingEvent, blocked_error, plan_events
from coderouter_supervisor.worker.routing.profiles import (
    MODE_HEADER,
    PROFILE_HEADER,
    ProfileChoice,
    select_profile,
)

__all__ = [
    "MODE_HEADER",
    "PROFILE_HEADER",
    "AutoRoute",
    "BudgetStatus",
    "CapabilityRegistry",
    "ChainFacts",
    "ChainPlan",
    "ModelCapabilities",
    "PlannedAttempt",
    "ProfileChoice",
    "RequestSignals",
    "RequestTraits",
    "RoutingEvent",
    "Skip",
    "blocked_error",
    "bundled_rules",
    "can_think",
    "chain_facts_from",
    "classify",
    "health_from",
    "load_registry",
    "missing_keys",
    "parse_registry",
    "plan_events",
    "request_has_cache_control",
    "request_signals",
    "request_wants_thinking",
    "resolve_chain",
    "select_profile",
    "supports_cache_control",
    "supports_thinking",
]
