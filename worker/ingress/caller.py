"""Who is calling: the client key a request presents, checked once at the edge."""

from __future__ import annotations

from starlette.requests import Request

from coderouter_supervisor.worker.engine import Caller
from coderouter_supervisor.worker.ingress.gateway import gateway_of
from coderouter_supervisor.worker.telemetry import current_client_key


async def authorize(request: Request) -> Caller:
    """Authenticate the request (raises when its key is missing or wrong) and scope its events to
    the key's name."""
    key = await gateway_of(request).keys.authenticate(request.headers)
    if key is not None:
        current_client_key.set(key.name)
    return Caller(key, request.headers)
