"""Upstream connections over real loopback sockets: a request's writes reach the upstream as one,
when the answer is read; reads, timeouts, flow control and errors are httpcore's."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from typing import Any

import httpcore
import pytest

from coderouter_supervisor.worker.providers.gathered_writes import (
    READ_BUFFER_LIMIT,
    GatheringBackend,
    GatheringStream,
)
from coderouter_supervisor.worker.providers.request_body import SEND_SLICE

from support.clean_loop import LoopFactory, loop_factories, run_cleanly

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"

# Every test on asyncio's loop and on uvloop's, which a worker runs on when it is installed.
pytestmark = pytest.mark.parametrize("loop_factory", loop_factories())


@contextlib.asynccontextmanager
async def connection(**options: Any) -> AsyncIterator[tuple[GatheringStream, socket.socket]]:
    """A stream to a loopback listener and the listener's side of it (non-blocking)."""
    loop = asyncio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        port = listener.getsockname()[1]
        stream = await GatheringBackend().connect_tcp("127.0.0.1", port, timeout=5.0, **options)
        peer, _ = await loop.sock_accept(listener)
    assert isinstance(stream, GatheringStream)
    try:
        with peer:
            yield stream, peer
    finally:
        await stream.aclose()
        await asyncio.sleep(0)  # the transport closes its socket on the next turn of the loop


def nothing_arrived(peer: socket.socket) -> bool:
    try:
        return peer.recv(65536) == b"never"
    except BlockingIOError:
        return True


async def receive(peer: socket.socket, size: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    async with asyncio.timeout(5):
        while len(data) < size:
            chunk = await loop.sock_recv(peer, size - len(data))
            assert chunk, "the stream closed early"
            data += chunk
    return data


async def closed_by_peer(stream: GatheringStream, peer: socket.socket, *, reset: bool) -> None:
    """Close ``peer`` (with a reset, or after answering 413) and wait until the stream's transport is gone."""
    if reset:
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        peer.sendall(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n")
    peer.close()
    async with asyncio.timeout(5):
        while stream.get_extra_info("socket").fileno() >= 0:
            await asyncio.sleep(0.001)


def test_head_and_body_are_one_write_made_when_the_answer_is_read(loop_factory: LoopFactory) -> None:
    async def exchange() -> tuple[bool, bytes, bytes]:
        async with connection() as (stream, peer):
            await stream.write(b"POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\n", timeout=5.0)
            await stream.write(b"{}", timeout=5.0)
            await stream.write(b"", timeout=5.0)
            held = nothing_arrived(peer)
            reading = asyncio.create_task(stream.read(65536, timeout=5.0))
            await asyncio.sleep(0)
            sent = peer.recv(65536)  # one recv: the request went out as one write
            peer.sendall(ANSWER)
            return held, sent, await reading

    held, sent, answer = run_cleanly(exchange, loop_factory)
    assert held
    assert sent == b"POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}"
    assert answer == ANSWER


def test_a_large_body_goes_in_slices_as_they_fill(loop_factory: LoopFactory) -> None:
    async def exchange() -> tuple[bytes, bool, bytes]:
        async with connection() as (stream, peer):
            await stream.write(b"head", timeout=5.0)
            for _ in range(3):
                await stream.write(b"x" * (SEND_SLICE // 2), timeout=5.0)
            first = await receive(peer, 4 + SEND_SLICE)
            await asyncio.sleep(0)
            rest_held = nothing_arrived(peer)
            reading = asyncio.create_task(stream.read(64, timeout=5.0))
            rest = await receive(peer, SEND_SLICE // 2)
            peer.sendall(ANSWER)
            await reading
            return first, rest_held, rest

    first, rest_held, rest = run_cleanly(exchange, loop_factory)
    assert first == b"head" + b"x" * SEND_SLICE
    assert rest_held
    assert rest == b"x" * (SEND_SLICE // 2)


@pytest.mark.parametrize("size", [1, SEND_SLICE - 1])
def test_writes_below_a_slice_wait_for_the_read(size: int, loop_factory: LoopFactory) -> None:
    async def exchange() -> bool:
        async with connection() as (stream, peer):
            await stream.write(b"y" * size, timeout=5.0)
            await asyncio.sleep(0)
            return nothing_arrived(peer)

    assert run_cleanly(exchange, loop_factory)


def test_a_read_returns_what_already_arrived_and_writes_nothing(loop_factory: LoopFactory) -> None:
    async def exchange() -> tuple[bytes, bool]:
        async with connection() as (stream, peer):
            peer.sendall(ANSWER)
            async with asyncio.timeout(5):
                while not stream.get_extra_info("is_readable"):
                    await asyncio.sleep(0.001)
            # Already buffered: a zero timeout would fire if the read waited at all.
            answer = await stream.read(65536, timeout=0)
            return answer, nothing_arrived(peer)

    answer, nothing_sent = run_cleanly(exchange, loop_factory)
    assert answer == ANSWER
    assert nothing_sent


def test_a_read_takes_at_most_max_bytes_and_eof_reads_empty(loop_factory: LoopFactory) -> None:
    async def exchange() -> list[bytes]:
        async with connection() as (stream, peer):
            peer.sendall(b"abcdef")
            peer.shutdown(socket.SHUT_WR)
            reads = [await stream.read(4, timeout=5.0)]
            while reads[-1]:
                reads.append(await stream.read(4, timeout=5.0))
            reads.append(await stream.read(4, timeout=5.0))
            return reads

    assert run_cleanly(exchange, loop_factory) == [b"abcd", b"ef", b"", b""]


def test_a_failed_write_lets_the_answer_be_read_as_httpcore_does(loop_factory: LoopFactory) -> None:
    async def exchange() -> bytes:
        async with connection() as (stream, peer):
            await closed_by_peer(stream, peer, reset=False)
            await stream.write(b"POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello", timeout=5.0)
            return await stream.read(65536, timeout=5.0)

    assert run_cleanly(exchange, loop_factory).startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_slice_sent_to_a_gone_upstream_is_a_write_error(reset: bool, loop_factory: LoopFactory) -> None:
    async def exchange() -> None:
        async with connection() as (stream, peer):
            await closed_by_peer(stream, peer, reset=reset)
            with pytest.raises(httpcore.WriteError):
                await stream.write(b"z" * SEND_SLICE, timeout=5.0)

    run_cleanly(exchange, loop_factory)


def test_a_reset_connection_is_a_read_error(loop_factory: LoopFactory) -> None:
    async def exchange() -> None:
        async with connection() as (stream, peer):
            await closed_by_peer(stream, peer, reset=True)
            with pytest.raises(httpcore.ReadError):
                await stream.read(65536, timeout=5.0)

    run_cleanly(exchange, loop_factory)


def test_a_read_timeout_leaves_the_stream_usable_and_closable(loop_factory: LoopFactory) -> None:
    async def exchange() -> tuple[bytes, bytes]:
        async with connection() as (stream, peer):
            with pytest.raises(httpcore.ReadTimeout):
                await stream.read(65536, timeout=0.01)
            peer.sendall(b"late")
            late = await stream.read(65536, timeout=5.0)
            await stream.aclose()
            return late, await receive_to_end(peer)

    late, after_close = run_cleanly(exchange, loop_factory)
    assert late == b"late"
    assert after_close == b""


async def receive_to_end(peer: socket.socket) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    async with asyncio.timeout(5):
        while chunk := await loop.sock_recv(peer, 65536):
            data += chunk
    return data


def test_a_cancelled_read_leaves_nothing_behind(loop_factory: LoopFactory) -> None:
    async def exchange() -> bytes:
        async with connection() as (stream, peer):
            reading = asyncio.create_task(stream.read(65536, timeout=30.0))
            await asyncio.sleep(0)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            peer.sendall(b"after")
            return await stream.read(65536, timeout=5.0)

    assert run_cleanly(exchange, loop_factory) == b"after"


def test_an_upstream_that_stops_reading_makes_a_write_time_out(loop_factory: LoopFactory) -> None:
    small = [(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)]

    async def exchange() -> int:
        async with connection(socket_options=small) as (stream, _peer):
            sent = 0
            with pytest.raises(httpcore.WriteTimeout):
                while sent < 256 * 1024 * 1024:  # more than loopback's buffers can ever hold
                    await stream.write(b"w" * SEND_SLICE, timeout=0.05)
                    sent += SEND_SLICE
            return sent

    assert run_cleanly(exchange, loop_factory) < 256 * 1024 * 1024


def test_a_fast_upstream_cannot_fill_memory_reading_pauses_and_resumes(loop_factory: LoopFactory) -> None:
    total = 16 * READ_BUFFER_LIMIT

    async def exchange() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        async with connection() as (stream, peer):
            sending = asyncio.create_task(loop.sock_sendall(peer, b"r" * total))
            transport = stream._transport
            async with asyncio.timeout(5):
                while transport.is_reading():
                    await asyncio.sleep(0.001)
            buffered = stream._protocol.size
            received = 0
            while received < total:
                received += len(await stream.read(65536, timeout=5.0))
            await sending
            return buffered, received

    buffered, received = run_cleanly(exchange, loop_factory)
    assert READ_BUFFER_LIMIT <= buffered < 2 * READ_BUFFER_LIMIT
    assert received == total


def test_socket_options_are_applied_and_nagle_is_off(loop_factory: LoopFactory) -> None:
    async def exchange() -> tuple[int, int]:
        keepalive = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        async with connection(socket_options=keepalive) as (stream, _peer):
            sock = stream.get_extra_info("socket")
            return (
                sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
            )

    assert run_cleanly(exchange, loop_factory) == (1, 1)


def test_a_refused_connect_is_a_connect_error(loop_factory: LoopFactory) -> None:
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]

    async def connect() -> None:
        with pytest.raises(httpcore.ConnectError, match="All connection attempts failed"):
            await GatheringBackend().connect_tcp("127.0.0.1", port, timeout=5.0)

    run_cleanly(connect, loop_factory)


def test_a_connect_that_gets_no_answer_times_out(loop_factory: LoopFactory) -> None:
    # A listener whose backlog is full drops further handshakes: the connect waits for an answer.
    with socket.socket() as listener, contextlib.ExitStack() as fillers:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            filler = fillers.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))

        async def connect() -> None:
            with pytest.raises(httpcore.ConnectTimeout):
                await GatheringBackend().connect_tcp("127.0.0.1", port, timeout=0.1)

        run_cleanly(connect, loop_factory)


def test_an_idle_connection_is_readable_once_its_peer_closes(loop_factory: LoopFactory) -> None:
    async def exchange() -> tuple[bool, bool]:
        async with connection() as (stream, peer):
            idle = stream.get_extra_info("is_readable")
            peer.close()
            async with asyncio.timeout(5):
                while not stream.get_extra_info("is_readable"):
                    await asyncio.sleep(0.001)
            return idle, stream.get_extra_info("is_readable")

    assert run_cleanly(exchange, loop_factory) == (False, True)


def test_close_drops_what_is_held_and_extra_info_is_the_connections(loop_factory: LoopFactory) -> None:
    async def exchange() -> tuple[bytes, list[Any], list[Any]]:
        async with connection() as (stream, peer):
            await stream.write(b"held", timeout=5.0)
            addresses = [stream.get_extra_info("client_addr"), stream.get_extra_info("server_addr")]
            expected = [peer.getpeername(), peer.getsockname()]
            assert stream.get_extra_info("ssl_object") is None
            await stream.aclose()
            await stream.aclose()
            with pytest.raises(httpcore.ReadError):
                await stream.read(64, timeout=5.0)
            return await receive_to_end(peer), addresses, expected

    received, addresses, expected = run_cleanly(exchange, loop_factory)
    assert received == b""
    assert addresses == expected


def test_a_unix_socket_connection_reads_and_writes(tmp_path: Any, loop_factory: LoopFactory) -> None:
    path = str(tmp_path / "upstream.sock")

    async def exchange() -> tuple[bytes, bytes]:
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)
            listener.listen()
            listener.setblocking(False)
            stream = await GatheringBackend().connect_unix_socket(path, timeout=5.0)
            peer, _ = await loop.sock_accept(listener)
        with peer:
            await stream.write(b"ping", timeout=5.0)
            reading = asyncio.create_task(stream.read(64, timeout=5.0))
            sent = await receive(peer, 4)
            peer.sendall(b"pong")
            answer = await reading
            await stream.aclose()
            await asyncio.sleep(0)
        return sent, answer

    assert run_cleanly(exchange, loop_factory) == (b"ping", b"pong")
