"""A streamed answer on the wire: an SSE answer around the engine's :class:`StreamSession` whose
close-out runs once the answer is over, however it ended (see :mod:`..engine.answers`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from coderouter_supervisor.worker.engine import StreamSession
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.ingress.asgi_answers import EventStreamAnswer

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def stream_response(session: StreamSession) -> EventStreamAnswer:
    """The streamed answer for ``session``; its close-out runs when the answer is over."""
    return EventStreamAnswer(session.frames, {**SSE_HEADERS, **session.headers}, on_close=session.close)


def error_stream(error: GatewayError, error_frame: Callable[[GatewayError], bytes]) -> EventStreamAnswer:
    """A stream that only reports ``error``: for a streaming request refused by a guard."""

    async def frames() -> AsyncIterator[bytes]:
        yield error_frame(error)

    return EventStreamAnswer(frames(), SSE_HEADERS)
