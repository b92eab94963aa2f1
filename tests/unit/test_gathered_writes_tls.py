"""Upstream connections over TLS: httpcore's pool on our backend against a loopback TLS server whose
certificate is made here."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator

import httpcore
import pytest
import trustme

from coderouter_supervisor.worker.providers.gathered_writes import GatheringBackend

from support.clean_loop import LoopFactory, loop_factories, run_cleanly

# Every test on asyncio's loop and on uvloop's, which a worker runs on when it is installed.
pytestmark = pytest.mark.parametrize("loop_factory", loop_factories())


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1 that answers each request with its body, until the client closes."""
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            )
            body = await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    writer.close()


@contextlib.asynccontextmanager
async def tls_upstream(ca: trustme.CA) -> AsyncIterator[int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=context)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


def client_context(ca: trustme.CA | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca is not None:
        ca.configure_trust(context)
    return context


def test_requests_over_tls_share_one_connection(loop_factory: LoopFactory) -> None:
    ca = trustme.CA()

    async def exchange() -> tuple[list[tuple[int, bytes]], int, bool]:
        async with (
            tls_upstream(ca) as port,
            httpcore.AsyncConnectionPool(
                ssl_context=client_context(ca), network_backend=GatheringBackend()
            ) as pool,
        ):
            answers = []
            encrypted = False
            for body in (b"first", b"second" * 50_000):
                response = await pool.request(
                    "POST", f"https://127.0.0.1:{port}/", content=body, extensions={"timeout": {"pool": 5}}
                )
                answers.append((response.status, response.content))
                stream = response.extensions["network_stream"]
                encrypted = stream.get_extra_info("ssl_object") is not None
            return answers, len(pool.connections), encrypted

    answers, connections, encrypted = run_cleanly(exchange, loop_factory)
    assert answers == [(200, b"first"), (200, b"second" * 50_000)]
    assert connections == 1
    assert encrypted


def test_a_certificate_that_does_not_verify_is_a_connect_error(loop_factory: LoopFactory) -> None:
    ca = trustme.CA()

    async def exchange() -> None:
        async with (
            tls_upstream(ca) as port,
            httpcore.AsyncConnectionPool(
                ssl_context=client_context(None), network_backend=GatheringBackend()
            ) as pool,
        ):
            with pytest.raises(httpcore.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await pool.request("GET", f"https://127.0.0.1:{port}/")

    run_cleanly(exchange, loop_factory)


def test_a_handshake_that_gets_no_answer_is_a_connect_timeout(loop_factory: LoopFactory) -> None:
    async def exchange() -> None:
        with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never speaks TLS
            port = silent.getsockname()[1]
            async with httpcore.AsyncConnectionPool(
                ssl_context=client_context(None), network_backend=GatheringBackend()
            ) as pool:
                with pytest.raises(httpcore.ConnectTimeout):
                    await pool.request(
                        "GET", f"https://127.0.0.1:{port}/", extensions={"timeout": {"connect": 0.1}}
                    )

    run_cleanly(exchange, loop_factory)
