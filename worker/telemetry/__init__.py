"""Structured events, cost, metrics and the state file's health as this worker sees it."""

from __future__ import annotations

from coderouter_supervisor.worker.telemetry.cost import (
    FREE,
    AttemptCost,
    CacheOutcome,
    cache_outcome,
    is_priced,
    price_usage,
    worst_case_cost,
)
from coderouter_supervisor.worker.telemetry.events import (
    EVENTS_PATH_VAR,
    JsonLineFormatter,
    configure_event_log,
    current_client_key,
    current_request_id,
    emit_event,
    events_path,
)
from coderouter_supervisor.worker.telemetry.metric_flush import MetricRecorder
from coderouter_supervisor.worker.telemetry.state_status import StateStatus

__all__ = [
    "EVENTS_PATH_VAR",
    "FREE",
    "AttemptCost",
    "CacheOutcome",
    "JsonLineFormatter",
    "MetricRecorder",
    "StateStatus",
    "cache_outcome",
    "configure_event_log",
    "current_client_key",
    "current_request_id",
    "emit_event",
    "events_path",
    "is_priced",
    "price_usage",
    "worst_case_cost",
]
