"""One ``request-completed`` event per model call a client made: ingress, profile, status, duration.

These are client requests, not provider attempts (one request may try several providers), and the
duration runs until the last byte of the answer, streams included.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderouter_supervisor.worker.adapters import model_call_protocol
from coderouter_supervisor.worker.telemetry import current_client_key, emit_event


def is_model_call(path: str) -> bool:
    """Whether ``path`` is a model call (one ``request-completed`` event), not a health check or scrape."""
    return model_call_protocol(path) is not None


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = model_call_protocol(scope.get("path", "")) if scope["type"] == "http" else None
        if client is None:
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        # No answer started at all means the client went away first (nginx's 499), not a failure of ours.
        seen: dict[str, object] = {"status": 499, "profile": None}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name == b"x-coderouter-profile":
                        seen["profile"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            emit_event(
                "request-completed",
                ingress=client.name,
                profile=seen["profile"],
                status=seen["status"],
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                key=current_client_key.get(),
            )
