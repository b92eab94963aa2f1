"""A request's writes reach the connection as one, when the answer is read."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpcore
import pytest

from coderouter_supervisor.worker.providers.gathered_writes import GatheredWrites
from coderouter_supervisor.worker.providers.request_body import SEND_SLICE


class RecordingStream(httpcore.AsyncNetworkStream):
    def __init__(
        self,
        *,
        answer: bytes = b"HTTP/1.1 200 OK\r\n\r\n",
        refuse_writes: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.writes: list[tuple[bytes, float | None]] = []
        self.answer = answer
        self.refuse_writes = refuse_writes
        self.closed = False
        self.extra = extra or {}

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.answer[:max_bytes]

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self.refuse_writes:
            raise httpcore.WriteError("connection reset")
        self.writes.append((buffer, timeout))

    async def aclose(self) -> None:
        self.closed = True

    def get_extra_info(self, info: str) -> Any:
        return self.extra.get(info, f"extra {info}")


def test_head_and_body_are_one_write_made_when_the_answer_is_read() -> None:
    async def exchange() -> tuple[RecordingStream, list[tuple[bytes, float | None]], bytes]:
        inner = RecordingStream()
        stream = GatheredWrites(inner)
        await stream.write(b"POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\n", timeout=5.0)
        await stream.write(b"{}", timeout=5.0)
        await stream.write(b"", timeout=5.0)
        before_read = list(inner.writes)
        answer = await stream.read(64, timeout=1.0)
        return inner, before_read, answer

    inner, before_read, answer = asyncio.run(exchange())
    assert before_read == []
    assert inner.writes == [(b"POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\n{}", 5.0)]
    assert answer == b"HTTP/1.1 200 OK\r\n\r\n"


def test_a_large_body_goes_in_slices_as_they_fill() -> None:
    async def exchange() -> RecordingStream:
        inner = RecordingStream()
        stream = GatheredWrites(inner)
        await stream.write(b"head", timeout=None)
        for _ in range(3):
            await stream.write(b"x" * (SEND_SLICE // 2), timeout=None)
        assert [len(data) for data, _ in inner.writes] == [4 + SEND_SLICE]
        await stream.read(64)
        return inner

    inner = asyncio.run(exchange())
    assert [len(data) for data, _ in inner.writes] == [4 + SEND_SLICE, SEND_SLICE // 2]
    assert b"".join(data for data, _ in inner.writes) == b"head" + b"x" * (3 * SEND_SLICE // 2)


def test_nothing_held_means_nothing_written_on_read() -> None:
    inner = RecordingStream()
    assert asyncio.run(GatheredWrites(inner).read(64)) == inner.answer
    assert inner.writes == []


def test_a_failed_write_lets_the_answer_be_read_as_httpcore_does() -> None:
    inner = RecordingStream(answer=b"HTTP/1.1 413 Payload Too Large\r\n\r\n", refuse_writes=True)

    async def exchange() -> bytes:
        stream = GatheredWrites(inner)
        await stream.write(b"POST / HTTP/1.1\r\n\r\n")
        return await stream.read(64)

    assert asyncio.run(exchange()).startswith(b"HTTP/1.1 413")


def test_close_drops_what_is_held_and_extra_info_is_the_connections() -> None:
    inner = RecordingStream()
    stream = GatheredWrites(inner)

    async def exchange() -> None:
        await stream.write(b"held")
        await stream.aclose()

    asyncio.run(exchange())
    assert inner.closed and inner.writes == []
    assert stream.get_extra_info("server_addr") == "extra server_addr"


@pytest.mark.parametrize("size", [1, SEND_SLICE - 1])
def test_writes_below_a_slice_wait_for_the_read(size: int) -> None:
    inner = RecordingStream()

    async def exchange() -> None:
        await GatheredWrites(inner).write(b"y" * size)

    asyncio.run(exchange())
    assert inner.writes == []


def test_an_idle_connection_is_readable_once_its_peer_closes() -> None:
    left, right = socket.socketpair()
    try:
        stream = GatheredWrites(RecordingStream(extra={"socket": left}))
        assert stream.get_extra_info("is_readable") is False
        right.close()
        assert stream.get_extra_info("is_readable") is True
        left.close()
        assert stream.get_extra_info("is_readable") is True  # closed on our side: not reusable either
    finally:
        left.close()
