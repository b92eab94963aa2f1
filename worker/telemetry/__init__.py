"""Structured events, metrics and the state file's health as this worker sees it."""

from __future__ import annotations

from coderouter_supervisor.worker.telemetry.events import (
    JsonLineFormatter,
    Level,
    RequestAnswer,
    configure_event_log,
    current_client_key,
    current_request_answer,
    current_request_id,
    emit_event,
    events_path,
)
from coderouter_supervisor.worker.telemetry.exposition import (
    HEALTH_LEVEL,
    Gauge,
    MetricsSnapshot,
    ProfileOrder,
    metrics_json,
    prometheus_text,
)
from coderouter_supervisor.worker.telemetry.history_view import Window, spend_by_day, traffic_chart
from coderouter_supervisor.worker.telemetry.metric_book import labels_of
from coderouter_supervisor.worker.telemetry.metric_flush import MetricRecorder
from coderouter_supervisor.worker.telemetry.spend_projection import month_bounds, project_month
from coderouter_supervisor.worker.telemetry.state_status import StateStatus
from coderouter_supervisor.worker.telemetry.write_policy import WritePolicy, WriteProfile, write_policy

__all__ = [
    "HEALTH_LEVEL",
    "Gauge",
    "JsonLineFormatter",
    "Level",
    "MetricRecorder",
    "MetricsSnapshot",
    "ProfileOrder",
    "RequestAnswer",
    "StateStatus",
    "Window",
    "WritePolicy",
    "WriteProfile",
    "configure_event_log",
    "current_client_key",
    "current_request_answer",
    "current_request_id",
    "emit_event",
    "events_path",
    "labels_of",
    "metrics_json",
    "month_bounds",
    "project_month",
    "prometheus_text",
    "spend_by_day",
    "traffic_chart",
    "write_policy",
]
