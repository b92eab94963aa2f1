"""On a loopback bind, answer only requests addressed to a loopback name.

A web page can make a browser send requests to ``127.0.0.1:8088`` through a DNS name it controls
(DNS rebinding); such requests carry that foreign name in ``Host``. A gateway that listens only on
loopback has no reason to accept any ``Host`` but a loopback one.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from coderouter_supervisor.worker.errors import PermissionDenied
from coderouter_supervisor.worker.ingress.client_auth import is_loopback
from coderouter_supervisor.worker.ingress.error_responses import error_response
from coderouter_supervisor.worker.ingress.protocols import ingress_of


def host_name(host_header: str) -> str:
    """The name part of a ``Host`` value (``[::1]:8088`` -> ``::1``, ``localhost:8088`` -> ``localhost``)."""
    value = host_header.strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class LoopbackHostGuard:
    def __init__(self, app: ASGIApp, *, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.enabled and scope["type"] == "http":
            request = Request(scope)
            host = request.headers.get("host", "")
            if not is_loopback(host_name(host)):
                refused = PermissionDenied(
                    f"this gateway listens on loopback only and does not answer for host {host!r}"
                )
                await error_response(refused, ingress_of(request))(scope, receive, send)
                return
        await self.app(scope, receive, send)
