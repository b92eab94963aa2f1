"""Bound the number and size of request headers, whichever HTTP parser uvicorn runs.

gunicorn's ``limit_request_*`` settings do not reach uvicorn workers, and uvicorn's parsers
differ (h11 caps the whole header block at 16 KiB, httptools caps nothing), so the limits that
hold on every install are checked here, before routing, with an answer in the caller's envelope.

:class:`HeaderLimits` also drops what the app sends after a client shut down its sending side:
uvicorn's h11 protocol then raises from ``send`` instead of ignoring it as it does for a client that
closed the connection, and the app would report that as an internal error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

import h11
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderouter_supervisor.worker.errors import HeadersTooLarge
from coderouter_supervisor.worker.ingress.error_responses import error_response
from coderouter_supervisor.worker.ingress.protocols import ingress_of

# gunicorn's own defaults for sync workers; real clients send a dozen or two short headers.
MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 8190
MAX_HEADER_BLOCK_BYTES = 32 * 1024


def header_problem(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """Why these headers are refused, or None when they are within the limits."""
    total = 0
    for count, (name, value) in enumerate(headers, start=1):
        if count > MAX_HEADER_COUNT:
            return f"more than {MAX_HEADER_COUNT} request headers"
        size = len(name) + len(value) + 4  # "name: value\r\n"
        if size > MAX_HEADER_BYTES:
            shown = name[:64].decode("latin-1")
            return f"request header {shown!r} is longer than {MAX_HEADER_BYTES} bytes"
        total += size
        if total > MAX_HEADER_BLOCK_BYTES:
            return f"request headers are longer than {MAX_HEADER_BLOCK_BYTES} bytes in all"
    return None


class HeaderLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_unless_half_closed(message: Message) -> None:
            with contextlib.suppress(h11.LocalProtocolError):
                await send(message)

        problem = header_problem(scope["headers"])
        if problem is not None:
            refused = HeadersTooLarge(problem)
            await error_response(refused, ingress_of(Request(scope)))(scope, receive, send_unless_half_closed)
            return
        await self.app(scope, receive, send_unless_half_closed)
