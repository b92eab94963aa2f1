"""Starlette routes: parse and validate the wire request, shape errors per protocol."""

from __future__ import annotations

from coderouter_supervisor.worker.ingress.client_auth import KeyRing, is_loopback, key_hash
from coderouter_supervisor.worker.ingress.dashboard import DASHBOARD_HTML
from coderouter_supervisor.worker.ingress.error_responses import EXCEPTION_HANDLERS
from coderouter_supervisor.worker.ingress.gateway import Gateway, GatewaySlot, max_upstream_answer_bytes
from coderouter_supervisor.worker.ingress.header_limits import HeaderLimits
from coderouter_supervisor.worker.ingress.host_guard import LoopbackHostGuard
from coderouter_supervisor.worker.ingress.request_log import RequestLog, is_model_call
from coderouter_supervisor.worker.ingress.routes import gateway_routes

__all__ = [
    "DASHBOARD_HTML",
    "EXCEPTION_HANDLERS",
    "Gateway",
    "GatewaySlot",
    "HeaderLimits",
    "KeyRing",
    "LoopbackHostGuard",
    "RequestLog",
    "gateway_routes",
    "is_loopback",
    "is_model_call",
    "key_hash",
    "max_upstream_answer_bytes",
]
