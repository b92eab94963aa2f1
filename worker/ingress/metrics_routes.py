"""``GET /metrics`` (Prometheus text) and ``GET /metrics.json``: the whole instance, every worker summed."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coderouter_supervisor.state import StateError
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.ingress.gateway import Gateway, gateway_of
from coderouter_supervisor.worker.reporting import collect_snapshot
from coderouter_supervisor.worker.telemetry import MetricsSnapshot, metrics_json, prometheus_text

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class MetricsUnavailable(GatewayError):
    """The state file, where every worker's counts live, cannot be read."""

    status = 503


async def authorize_admin(request: Request) -> None:
    """Admin pages: loopback callers pass (unless ``supervisor.admin_requires_key``); others need an
    admin key."""
    gateway = gateway_of(request)
    strict = bool(gateway.config.config.supervisor.admin_requires_key)
    await gateway.keys.authorize_admin(
        request.headers, request.client.host if request.client else None, strict=strict
    )


async def flushed_gateway(request: Request) -> Gateway:
    """For an admin caller: the gateway, with this worker's latest counts written, so a reader sees
    its own requests."""
    await authorize_admin(request)
    gateway = gateway_of(request)
    await gateway.metrics.flush()
    return gateway


async def _snapshot(request: Request) -> MetricsSnapshot:
    gateway = await flushed_gateway(request)
    try:
        return await collect_snapshot(gateway.store, gateway.config.config, time.time())
    except StateError as exc:
        raise MetricsUnavailable(f"metrics unavailable: {exc}") from exc


async def metrics(request: Request) -> Response:
    return Response(prometheus_text(await _snapshot(request)), media_type=PROMETHEUS_TYPE)


async def metrics_as_json(request: Request) -> Response:
    return JSONResponse(metrics_json(await _snapshot(request)))
