"""Structured events, cost and the recording of every attempt."""

from __future__ import annotations

from coderouter_supervisor.worker.telemetry.attempts import AttemptRecorder, EstimateReason
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
from coderouter_supervisor.worker.telemetry.shared_facts import SharedFacts
from coderouter_supervisor.worker.telemetry.spend_bound import (
    RequestShape,
    attempt_worst_case,
    request_worst_case,
    usage_to_record,
)
from coderouter_supervisor.worker.telemetry.state_status import StateStatus

__all__ = [
    "EVENTS_PATH_VAR",
    "FREE",
    "AttemptCost",
    "AttemptRecorder",
    "CacheOutcome",
    "EstimateReason",
    "JsonLineFormatter",
    "MetricRecorder",
    "RequestShape",
    "SharedFacts",
    "StateStatus",
    "attempt_worst_case",
    "cache_outcome",
    "configure_event_log",
    "current_client_key",
    "current_request_id",
    "emit_event",
    "events_path",
    "is_priced",
    "price_usage",
    "request_worst_case",
    "usage_to_record",
    "worst_case_cost",
]
