"""Structured events, cost and metric recording."""

from __future__ import annotations

from coderouter_supervisor.worker.telemetry.events import JsonLineFormatter, configure_event_log, emit_event

__all__ = ["JsonLineFormatter", "configure_event_log", "emit_event"]
