"""Starlette routes: parse and validate the wire request, shape errors per protocol."""

from __future__ import annotations

from coderouter_supervisor.worker.ingress.health import healthz

__all__ = ["healthz"]
