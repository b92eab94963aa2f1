"""Every client request gets an id: the caller's ``X-Request-Id`` when it is sane, else a new one.

The id is returned as ``x-request-id`` and set in :data:`current_request_id`, so every event logged
while serving the request (and in tasks it starts) carries it.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderouter_supervisor.worker.telemetry import current_request_id

# Ids end up in logs: accept only short tokens that cannot forge a line or a field.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _SANE_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class RequestId:
    """ASGI middleware: assigns, echoes and scopes the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        token = current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
