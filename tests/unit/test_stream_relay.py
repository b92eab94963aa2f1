"""How the relay hands upstream events to the client (pure asyncio, no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.providers import StreamRelay, UpstreamEvent
from coderouter_supervisor.worker.providers.transport import UpstreamStream
from coderouter_supervisor.worker.providers.upstream_client import UpstreamAnswer
from coderouter_supervisor.worker.translate import NO_USAGE, UsageReport


class EchoStream:
    """A client stream that writes each event's ``n`` on a line of its own."""

    ping_frame = b"ping\n"

    def __init__(self) -> None:
        self.started = False
        self.report: UsageReport = NO_USAGE

    def feed(self, event: UpstreamEvent) -> bytes:
        self.started = True
        return f"{event.payload['n']}\n".encode()

    def finish(self, upstream_completed: bool) -> bytes:
        return b"end\n"

    def fail(self, error: GatewayError) -> bytes:
        return b"failed\n"


async def _events(count: int, gap_s: float) -> AsyncIterator[bytes]:
    for n in range(count):
        if gap_s:
            await asyncio.sleep(gap_s)
        yield f'event: delta\ndata: {{"n": {n}}}\n\n'.encode()


def _relay(count: int, gap_s: float = 0.0) -> list[bytes]:
    """The body chunks the client gets for ``count`` events, each its own upstream chunk."""

    async def run() -> list[bytes]:
        upstream = UpstreamStream(UpstreamAnswer(200, [], _events(count, gap_s)), "p", 1 << 20)
        relay = StreamRelay(upstream, EchoStream(), "p")
        await relay.prime(5.0)
        return [chunk async for chunk in relay.frames()]

    return asyncio.run(run())


def test_events_the_upstream_body_already_holds_go_to_the_client_in_one_write() -> None:
    chunks = _relay(50)
    assert b"".join(chunks) == b"".join(f"{n}\n".encode() for n in range(50)) + b"end\n"
    # The first event (primed), then everything else that was already there with the ending.
    assert len(chunks) <= 3, chunks


def test_events_that_arrive_apart_reach_the_client_as_they_come() -> None:
    chunks = _relay(5, gap_s=0.01)
    assert b"".join(chunks) == b"0\n1\n2\n3\n4\nend\n"
    assert len(chunks) >= 4, chunks


def test_a_reader_held_back_by_a_full_backlog_goes_on_once_the_client_takes_events() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"".join(f'data: {{"n": {n}}}\n\n'.encode() for n in range(600))  # past the read-ahead
        yield b'data: {"n": 600}\n\n'

    async def run() -> list[bytes]:
        relay = StreamRelay(UpstreamStream(UpstreamAnswer(200, [], body()), "p", 1 << 20), EchoStream(), "p")
        await relay.prime(5.0)
        return [chunk async for chunk in relay.frames()]

    chunks = asyncio.run(asyncio.wait_for(run(), 5.0))
    assert b"".join(chunks) == b"".join(f"{n}\n".encode() for n in range(601)) + b"end\n"
