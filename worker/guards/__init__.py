"""Pure decision logic: tool loop, memory pressure, backend health, adaptive ordering.

Guards read frozen values and ``now`` and return what to do; the engine does the I/O, keeps
the state and emits the events.
"""

from __future__ import annotations

from coderouter_supervisor.worker.guards.adaptive import (
    DEBOUNCE_S,
    ERROR_RATE_DEMOTE_THRESHOLD,
    LATENCY_DEMOTE_FACTOR,
    MIN_SAMPLES_FOR_ERROR_RATE,
    MIN_SAMPLES_FOR_LATENCY,
    WINDOW_S,
    AdaptiveOrder,
    Observation,
    ProviderStats,
    RankMemory,
    adaptive_order,
    window_stats,
)
from coderouter_supervisor.worker.guards.backend_health import (
    HealthState,
    ProviderHealth,
    after_failure,
    after_success,
    counts_against_backend,
    demote_unhealthy,
)
from coderouter_supervisor.worker.guards.memory_pressure import (
    cooldown_until,
    in_cooldown,
    seconds_until_eligible,
)
from coderouter_supervisor.worker.guards.tool_loop import (
    LOOP_HINT,
    ToolLoop,
    ToolUse,
    anthropic_tool_uses,
    canonical_arguments,
    detect_tool_loop,
    inject_hint_anthropic,
    inject_hint_openai,
    openai_tool_uses,
    responses_tool_uses,
)

__all__ = [
    "DEBOUNCE_S",
    "ERROR_RATE_DEMOTE_THRESHOLD",
    "LATENCY_DEMOTE_FACTOR",
    "LOOP_HINT",
    "MIN_SAMPLES_FOR_ERROR_RATE",
    "MIN_SAMPLES_FOR_LATENCY",
    "WINDOW_S",
    "AdaptiveOrder",
    "HealthState",
    "Observation",
    "ProviderHealth",
    "ProviderStats",
    "RankMemory",
    "ToolLoop",
    "ToolUse",
    "adaptive_order",
    "after_failure",
    "after_success",
    "anthropic_tool_uses",
    "canonical_arguments",
    "cooldown_until",
    "counts_against_backend",
    "demote_unhealthy",
    "detect_tool_loop",
    "in_cooldown",
    "inject_hint_anthropic",
    "inject_hint_openai",
    "openai_tool_uses",
    "responses_tool_uses",
    "seconds_until_eligible",
    "window_stats",
]
