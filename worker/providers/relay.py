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


# Events read ahead of the client; past this the reader waits, so a slow client bounds memory.
_READ_AHEAD: Final = 256


class StreamRelay:
    """Pull upstream events into a :class:`ClientStream`; see :meth:`prime` and :meth:`frames`.

    One reader task per stream moves the upstream's events into a backlog, and one timer at a time
    watches for silence, re-armed only when it fires: an event costs no task, timer or lock of its
    own, so events the upstream's body already holds are handed on without a trip through the loop.
    """

    def __init__(
        self, upstream: UpstreamStream, client: ClientStream, provider: str, *, secret: str | None = None
    ) -> None:
        self._upstream = upstream
        self._client = client
        self._provider = provider
        self._secret = secret  # the provider's key, cut out of any error text it echoes
        self._batches = upstream.batches()
        self._backlog: deque[UpstreamEvent] = deque()
        self._reader: asyncio.Task[None] | None = None
        self._read_error: BaseException | None = None
        self._read_done = False
        self._waiter: asyncio.Future[None] | None = None  # the relay, waiting for the reader
        self._room: asyncio.Future[None] | None = None  # the reader, waiting for the relay
        self._timer: asyncio.TimerHandle | None = None
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

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            async for batch in self._batches:
                self._backlog.extend(batch)
                self._wake()
                if len(self._backlog) >= _READ_AHEAD:
                    self._room = loop.create_future()
                    await self._room
        except Exception as exc:  # handed to the relay, which raises it in order
            self._read_error = exc
        finally:
            self._read_done = True
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _on_timer(self) -> None:
        self._timer = None
        self._wake()

    def _arm(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        """A timer fires no later than ``deadline``; one already due earlier is kept (the waiter
        it wakes re-arms), so a steady stream re-arms once per interval, not once per event."""
        if self._timer is not None and self._timer.when() <= deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(deadline, self._on_timer)

    def _take(self) -> UpstreamEvent:
        """The oldest event of the backlog (not empty); the reader may go on if it waited for room."""
        event = self._backlog.popleft()
        if self._room is not None and not self._room.done() and len(self._backlog) < _READ_AHEAD:
            self._room.set_result(None)
        return event

    async def _next(self, wait_s: float) -> UpstreamEvent | _Silence | None:
        """The next event; ``_SILENCE`` after ``wait_s`` without one; None at the end."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            if self._backlog:
                return self._take()
            if self._read_error is not None:
                error, self._read_error = self._read_error, None
                raise error
            if self._read_done:
                return None
            if self._reader is None:
                self._reader = loop.create_task(self._read())
            if loop.time() >= deadline:
                return _SILENCE
            self._arm(loop, deadline)
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

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
                    # An event already read needs no coroutine, clock reading or deadline.
                    event = self._take() if self._backlog else await self._next(PING_INTERVAL_S)
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
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        self._backlog.clear()
        aclose = getattr(self._batches, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
        await self._upstream.aclose()
