"""One ``request-completed`` event per model call a client made: ingress, profile, status, duration.

These are client requests, not provider attempts (one request may try several providers), and the
duration runs until the last byte of the answer, streams included.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderouter_supervisor.worker.telemetry import current_client_key, emit_event

_INGRESS_BY_SUFFIX = (("/messages", "anthropic"), ("/chat/completions", "openai"))


def ingress_of(path: str) -> str | None:
    for suffix, ingress in _INGRESS_BY_SUFFIX:
        if path.endswith(suffix):
            return ingress
    return None


def is_model_call(path: str) -> bool:
    """Whether ``path`` is a model call (one ``request-completed`` event), not a health check or scrape."""
    return ingress_of(path) is not None


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ingress = ingress_of(scope.get("path", "")) if scope["type"] == "http" else None
        if ingress is None:
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
                ingress=ingress,
                profile=seen["profile"],
                status=seen["status"],
                duration_ms=round((time.monotonic() - started) * 1000, 1),
                key=current_client_key.get(),
            )
