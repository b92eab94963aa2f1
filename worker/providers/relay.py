"""Relay one upstream stream to the client, with keep-alive pings while the upstream is silent.

Local models can spend minutes on prompt processing before the first token; clients and
proxies in between give up on a silent connection, so every ``PING_INTERVAL_S`` of
silence sends the protocol's keep-alive frame.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from typing import Final

from coderouter_supervisor.worker.errors import MidStreamFailure, UpstreamError, UpstreamTimeout, redact
from coderouter_supervisor.worker.providers.client_stream import ClientStream
from coderouter_supervisor.worker.providers.transport import UpstreamEvent, UpstreamStream

PING_INTERVAL_S: Final = 10.0


class _Silence:
    pass


_SILENCE: Final = _Silence()


class StreamRelay:
    """Pull upstream events into a :class:`ClientStream`; see :meth:`prime` and :meth:`frames`."""

    def __init__(
        self, upstream: UpstreamStream, client: ClientStream, provider: str, *, secret: str | None = None
    ) -> None:
        self._upstream = upstream
        self._client = client
        self._provider = provider
        self._secret = secret  # the provider's key, cut out of any error text it echoes
        self._batches = upstream.batches().__aiter__()
        # Events of the last network read not handed out yet: taken without waiting, so a read of
        # many events costs one wait (a task and a timer) instead of one per event.
        self._backlog: deque[UpstreamEvent] = deque()
        self._pending: asyncio.Future[list[UpstreamEvent]] | None = None
        self._primed: list[bytes] = []
        self._ended = False
        self.failure: UpstreamError | None = None
        self.completed = False  # the upstream's body ended (not cut short by the client or a failure)

    @property
    def client(self) -> ClientStream:
        return self._client

    def _fail(self, error: UpstreamError) -> bytes:
        self.failure = redact(error, self._secret)
        return self._client.fail(self.failure)

    async def _next(self, wait_s: float) -> UpstreamEvent | _Silence | None:
        """The next event; ``_SILENCE`` after ``wait_s`` without one; None at the end."""
        if self._backlog:
            return self._backlog.popleft()
        if self._pending is None:
            self._pending = asyncio.ensure_future(self._batches.__anext__())
        done, _ = await asyncio.wait({self._pending}, timeout=wait_s)
        if not done:
            return _SILENCE
        pending, self._pending = self._pending, None
        try:
            self._backlog.extend(pending.result())
        except StopAsyncIteration:
            return None
        return self._backlog.popleft()

    async def prime(self, wait_s: float, *, require_content: bool = False) -> None:
        """Read until the client stream has started, the upstream ended, or ``wait_s`` passed.

        Until then nothing has reached the client, so any upstream failure is raised as
        retryable (another provider may take the request). With ``require_content``, no
        content within ``wait_s`` is such a failure too (:class:`UpstreamTimeout`): the
        provider's time-to-first-token limit.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        try:
            while not self._client.started:
                remaining = deadline - loop.time()
                event = await self._next(remaining) if remaining > 0 else _SILENCE
                if isinstance(event, _Silence):
                    if require_content:
                        raise UpstreamTimeout(
                            f"provider {self._provider} sent no content within its first-token timeout "
                            f"({wait_s:g} s)",
                            provider=self._provider,
                        )
                    return
                if event is None:
                    self._ended = self.completed = True
                    if not self._upstream.saw_done and not self._client.started:
                        raise MidStreamFailure(
                            f"provider {self._provider} ended the stream before any content",
                            provider=self._provider,
                            retryable=True,
                        )
                    return
                frames = self._client.feed(event)
                if frames:
                    self._primed.append(frames)
        except UpstreamError as error:
            await self.aclose()
            if not self._client.started:
                error.retryable = True
            raise

    async def frames(self) -> AsyncIterator[bytes]:
        """Everything for the client: primed frames, then the rest, pings, and a proper ending."""
        try:
            for frames in self._primed:
                yield frames
            if not self._ended and not self._client.started:
                # prime() gave up after a full interval of silence: keep the client waiting visibly.
                yield self._client.ping_frame
            # Frames of events that arrived together go out as one body chunk (one write, one pass
            # through the middleware), sent before the relay next waits on the network.
            ready: list[bytes] = []
            while not self._ended:
                if ready and not self._backlog:
                    yield b"".join(ready)
                    ready = []
                try:
                    event = await self._next(PING_INTERVAL_S)
                except UpstreamError as error:
                    yield self._fail(error)
                    return
                if isinstance(event, _Silence):
                    yield self._client.ping_frame
                    continue
                if event is None:
                    self.completed = True
                    break
                try:
                    frames = self._client.feed(event)
                except UpstreamError as error:
                    yield b"".join([*ready, self._fail(error)])
                    return
                if frames:
                    ready.append(frames)
            yield b"".join([*ready, self._client.finish(self._upstream.saw_done)])
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and close the upstream connection. Idempotent."""
        self._ended = True
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending
        self._backlog.clear()
        aclose = getattr(self._batches, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
        await self._upstream.aclose()
