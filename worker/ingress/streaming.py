"""A streamed answer on the wire: an SSE response around the engine's :class:`StreamSession`
whose close-out runs once the response is over, however it ended (see :mod:`..engine.answers`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from coderouter_supervisor.worker.engine import StreamSession
from coderouter_supervisor.worker.errors import GatewayError

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def stream_response(session: StreamSession) -> Response:
    """The streaming response for ``session``; its close-out runs when the response is over."""
    return _ClosingStream(
        session.frames,
        on_close=session.close,
        media_type="text/event-stream",
        headers={**SSE_HEADERS, **session.headers},
    )


def error_stream(error: GatewayError, error_frame: Callable[[GatewayError], bytes]) -> Response:
    """A stream that only reports ``error``: for a streaming request refused by a guard."""

    async def frames() -> AsyncIterator[bytes]:
        yield error_frame(error)

    return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)


# Close-outs in flight; held so the loop does not drop one while a cancelled request unwinds.
_closing: set[asyncio.Task[None]] = set()


class _ClosingStream(StreamingResponse):
    """Runs ``on_close`` once the response is over, however it ended: finished, failed, or the
    client gone before the body began (then the body generator never runs, nor its ``finally``)."""

    def __init__(
        self, content: AsyncIterator[bytes], *, on_close: Callable[[], Awaitable[None]], **kw: Any
    ) -> None:
        super().__init__(content, **kw)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            closing = asyncio.ensure_future(self._on_close())
            _closing.add(closing)
            closing.add_done_callback(_closing.discard)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(closing)
