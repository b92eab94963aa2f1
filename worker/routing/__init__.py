"""Choose the chain: profile selection, auto router, gates and ordering (pure), and the facts it reads."""

from __future__ import annotations

from coderouter_supervisor.worker.routing.capabilities import (
    CapabilityRegistry,
    bundled_rules,
    can_think,
    load_registry,
    request_has_cache_control,
)
from coderouter_supervisor.worker.routing.chain import ChainPlan, RequestTraits, missing_keys, resolve_chain
from coderouter_supervisor.worker.routing.chain_facts import (
    BudgetStatus,
    ChainFacts,
    chain_facts_from,
    health_from,
)
from coderouter_supervisor.worker.routing.plan_events import blocked_error, plan_events
from coderouter_supervisor.worker.routing.profiles import ProfileChoice, select_profile

__all__ = [
    "BudgetStatus",
    "CapabilityRegistry",
    "ChainFacts",
    "ChainPlan",
    "ProfileChoice",
    "RequestTraits",
    "blocked_error",
    "bundled_rules",
    "can_think",
    "chain_facts_from",
    "health_from",
    "load_registry",
    "missing_keys",
    "plan_events",
    "request_has_cache_control",
    "resolve_chain",
    "select_profile",
]
