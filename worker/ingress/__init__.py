"""Starlette routes: parse and validate the wire request, shape errors per protocol."""

from __future__ import annotations

from coderouter_supervisor.worker.ingress.error_responses import EXCEPTION_HANDLERS
from coderouter_supervisor.worker.ingress.health import healthz
from coderouter_supervisor.worker.ingress.routes import gateway_routes

__all__ = ["EXCEPTION_HANDLERS", "gateway_routes", "healthz"]
