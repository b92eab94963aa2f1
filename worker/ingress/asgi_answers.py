"""Model-call answers written straight to the ASGI server: a whole JSON answer and an SSE stream.

Both send what Starlette's ``JSONResponse`` and ``StreamingResponse`` sent (same status, headers
and header order), with less per answer: the headers are one prebuilt list, and a stream runs
one asyncio task beside its writer where Starlette, under a server speaking ASGI spec 2.3 (all of
uvicorn's HTTP protocols), opens an anyio task group with a listener task and cancel scopes.

That task is needed: uvicorn's ``send`` returns silently once the client is gone, so only
``receive`` tells that the client left, and that notice is what stops the upstream stream (the
frames generator is closed) and lets the close-out settle the budget hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.types import Receive, Scope, Send

from coderouter_supervisor.worker.protocol import json_text_bytes

RawHeaders = list[tuple[bytes, bytes]]

_JSON_TYPE: Final = (b"content-type", b"application/json")
_SSE_TYPE: Final = (b"content-type", b"text/event-stream; charset=utf-8")


def encode_json(content: Any) -> bytes:
    """``content`` as JSON bytes, encoded exactly as Starlette's ``JSONResponse`` encodes it."""
    return json_text_bytes(
        json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    )


def raw_headers(headers: Mapping[str, str]) -> RawHeaders:
    """``headers`` as the server takes them: lower-cased names, latin-1 bytes, in order."""
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


class JsonAnswer:
    """A whole JSON answer: ``body`` (JSON bytes) with ``status``. Its :attr:`headers` are the given
    ones, then content-length and content-type; a header appended to them is sent last."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, body: bytes, status: int = 200, headers: Mapping[str, str] | None = None) -> None:
        self.body = body
        self.status = status
        self.headers: RawHeaders = raw_headers(headers) if headers else []
        self.headers += [(b"content-length", str(len(body)).encode()), _JSON_TYPE]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def json_answer(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JsonAnswer:
    """``content`` encoded as the answer's body (see :func:`encode_json`)."""
    return JsonAnswer(encode_json(content), status, headers)


# Close-outs in flight; held so the loop does not drop one while a cancelled request unwinds.
_closing: set[asyncio.Task[None]] = set()


class EventStreamAnswer:
    """An SSE answer (status 200): ``headers``, then each of ``frames`` as one body message, then
    the end. The frames are closed however the answer ends; ``on_close`` then runs once, shielded
    from the request's cancellation: after the last frame, after the client left (even before the
    first frame, when the frames never ran), after a failure, or when the request was cancelled.

    The client leaving ends the answer normally; any other cancellation (server shutdown, the
    request's task cancelled) is raised on as it came.
    """

    __slots__ = ("_frames", "_headers", "_on_close")

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        headers: Mapping[str, str],
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._frames = frames
        self._headers = [*raw_headers(headers), _SSE_TYPE]
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._stream(receive, send)
        finally:
            if self._on_close is not None:
                closing = asyncio.ensure_future(self._on_close())
                _closing.add(closing)
                closing.add_done_callback(_closing.discard)
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(closing)

    async def _stream(self, receive: Receive, send: Send) -> None:
        frames = self._frames
        writer = asyncio.current_task()
        assert writer is not None  # an ASGI app runs in a task
        watch = _DisconnectWatch(writer)
        watcher = asyncio.ensure_future(watch.run(receive))
        cancel_seen = False
        try:
            try:
                await send({"type": "http.response.start", "status": 200, "headers": self._headers})
                async for frame in frames:
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                    if watch.client_left:
                        break  # its cancellation was swallowed on the way: stop all the same
                else:
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
            finally:
                watch.writing = False
                watcher.cancel()
        except asyncio.CancelledError:
            cancel_seen = True
            # Ours (the client left) ends the answer; any other is raised on.
            if not watch.client_left or writer.uncancel() > 0:
                raise
        finally:
            if watch.client_left and not cancel_seen:
                writer.uncancel()  # asked for, but swallowed before it reached here
            if isinstance(frames, AsyncGenerator):
                await frames.aclose()


class _DisconnectWatch:
    """Watches ``receive`` for the client leaving while the answer is being written, and then
    cancels the ``writer`` task (once)."""

    __slots__ = ("_writer", "client_left", "writing")

    def __init__(self, writer: asyncio.Task[Any]) -> None:
        self._writer = writer
        self.writing = True
        self.client_left = False

    async def run(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass  # more of a body already read: nothing to do with it
        if self.writing:
            self.client_left = True
            self._writer.cancel()
