"""The benchmark's HTTP/1.1 client: prebuilt request bytes over raw keep-alive sockets.

A client library would cost more per request than the floor server does; this one sends canned
bytes and reads the answer by its ``content-length`` or chunked framing, nothing else. Latency runs
use one blocking connection in the calling process; throughput runs spread connections over
separate processes (asyncio streams) so the client's GIL is not the limit.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
import time
from dataclasses import dataclass
from typing import Any

STAGGER_S = 0.02


@dataclass(frozen=True)
class Call:
    """One request, serialised once."""

    raw: bytes

    @classmethod
    def post(cls, port: int, path: str, body: dict[str, Any], headers: dict[str, str]) -> Call:
        content = json.dumps(body).encode()
        lines = [f"POST {path} HTTP/1.1", f"host: 127.0.0.1:{port}", "content-type: application/json"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"content-length: {len(content)}")
        return cls(("\r\n".join(lines) + "\r\n\r\n").encode() + content)


class BadAnswer(Exception):
    """The server answered something other than a complete 200."""


def _read_answer(reader: Any) -> bytes:
    status = reader.readline()
    if not status.startswith(b"HTTP/1.1 200"):
        raise BadAnswer(status + reader.read1(4096))
    length, chunked = -1, False
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        name = name.lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if not chunked:
        return bytes(reader.read(length))
    parts = []
    while True:
        size = int(reader.readline().split(b";")[0], 16)
        parts.append(reader.read(size + 2)[:size])
        if size == 0:
            return b"".join(parts)


class Connection:
    """A blocking keep-alive connection; :meth:`send` returns the answer's body or raises BadAnswer."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb", buffering=65536)

    def send(self, call: Call) -> bytes:
        self.sock.sendall(call.raw)
        return _read_answer(self.reader)

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def sequential(port: int, call: Call, requests: int) -> list[float]:
    """Seconds per request, one after another on one connection."""
    connection = Connection(port)
    samples = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            connection.send(call)
            samples.append(time.perf_counter() - started)
    finally:
        connection.close()
    return samples


async def _read_answer_async(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise BadAnswer(head)
    lower = head.lower()
    at = lower.find(b"content-length:")
    if at >= 0:
        await reader.readexactly(int(lower[at + 15 : lower.find(b"\r\n", at)]))
        return
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return


async def _hammer(port: int, call: Call, connections: int, warmup_s: float, duration_s: float) -> int:
    """Requests completed inside the measured window, over ``connections`` concurrent connections."""
    loop = asyncio.get_running_loop()
    start = loop.time() + warmup_s
    stop = start + duration_s
    counted = 0

    async def one(index: int) -> None:
        nonlocal counted
        # Connections opened in one burst would all be accepted by whichever gunicorn worker wakes
        # first (asyncio accepts up to its backlog per wake-up); spread out, they land on all workers.
        await asyncio.sleep(index * STAGGER_S)
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        while (now := loop.time()) < stop:
            writer.write(call.raw)
            await _read_answer_async(reader)
            if now >= start:
                counted += 1
        writer.close()

    await asyncio.gather(*(one(index) for index in range(connections)))
    return counted


def _hammer_process(
    port: int, call: Call, connections: int, warmup_s: float, duration_s: float, out: Any
) -> None:
    out.put(asyncio.run(_hammer(port, call, connections, warmup_s, duration_s)))


def throughput(
    port: int, call: Call, processes: int, connections: int, warmup_s: float, duration_s: float
) -> int:
    """Requests completed in ``duration_s`` after ``warmup_s``, by ``processes`` x ``connections``."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_hammer_process, args=(port, call, connections, warmup_s, duration_s, out))
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    total = sum(out.get(timeout=warmup_s + duration_s + 60) for _ in procs)
    for proc in procs:
        proc.join()
    return total
