"""Every request's id, and one ``request-completed`` event per model call a client made: ingress,
profile, status, duration, and the provider that answered, its latency and the request's cost when
priced (what the engine's recorder put in :class:`RequestAnswer`).

These are client requests, not provider attempts (one request may try several providers), and the
duration runs until the last byte of the answer, streams included. The id and the log share one
middleware, so each message the app sends passes through one wrapper, not two.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderouter_supervisor.worker.adapters import model_call_protocol
from coderouter_supervisor.worker.ingress.request_id import request_id_from
from coderouter_supervisor.worker.telemetry import (
    RequestAnswer,
    current_client_key,
    current_request_answer,
    current_request_id,
    emit_event,
)


def is_model_call(path: str) -> bool:
    """Whether ``path`` is a model call (one ``request-completed`` event), not a health check or scrape."""
    return model_call_protocol(path) is not None


class RequestLog:
    """ASGI middleware: assigns, echoes and scopes the request id; logs each model call's end."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        echoed = (b"x-request-id", request_id.encode())
        token = current_request_id.set(request_id)
        client = model_call_protocol(scope.get("path", ""))
        if client is None:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), echoed]
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                current_request_id.reset(token)
            return
        started = time.monotonic()
        answer = RequestAnswer()
        answer_token = current_request_answer.set(answer)
        # No answer started at all means the client went away first (nginx's 499), not a failure of ours.
        seen: dict[str, object] = {"status": 499, "profile": None}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                seen["status"] = message["status"]
                for name, value in headers:
                    if name == b"x-coderouter-profile":
                        seen["profile"] = value.decode("latin-1")
                message["headers"] = [*headers, echoed]
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
                provider=answer.provider,
                latency_ms=answer.latency_ms,
                cost_usd=None if answer.cost_usd is None else round(answer.cost_usd, 6),
            )
            current_request_answer.reset(answer_token)
            current_request_id.reset(token)
