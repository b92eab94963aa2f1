"""The gateway's routes and their handlers: parse and validate the wire request, shape errors per protocol."""

from __future__ import annotations

from coderouter_supervisor.worker.ingress.client_auth import KeyRing, is_loopback, key_hash
from coderouter_supervisor.worker.ingress.dashboard import DASHBOARD_HTML
from coderouter_supervisor.worker.ingress.dispatch import Dispatcher
from coderouter_supervisor.worker.ingress.front_door import FrontDoor
from coderouter_supervisor.worker.ingress.gateway import Gateway, GatewaySlot, max_upstream_answer_bytes
from coderouter_supervisor.worker.ingress.routes import gateway_routes

__all__ = [
    "DASHBOARD_HTML",
    "Dispatcher",
    "FrontDoor",
    "Gateway",
    "GatewaySlot",
    "KeyRing",
    "gateway_routes",
    "is_loopback",
    "key_hash",
    "max_upstream_answer_bytes",
]
