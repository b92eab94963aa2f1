"""Upstream connections on asyncio's own transports, sending a request's head and body in one write.

httpcore reads and writes through a network stream; httpx's default is anyio's socket stream (under
httpcore's ``AnyIOStream``), which enters a cancel scope with a timer, two exception-mapping context
managers and anyio's resource guards on every read and write, and resumes and pauses the
transport's reading around each read. Here the transport keeps reading into a buffer of its own
(reading pauses past :data:`READ_BUFFER_LIMIT`, so a fast upstream cannot fill memory), so a read
whose bytes already arrived returns them at once, and one that must wait waits on one future with
one timer. In a profiled worker (py-spy) the connection's reads and writes went from 6.6 % to 3.1 %
of its samples on a whole passthrough answer, and from 3.3 % to 1.5 % on a translated stream; most
of what is left is the send system call.

Writes are gathered: httpcore hands the connection a request's head, then each piece of its body,
each as a write of its own, and every write is a system call that on loopback also wakes the
upstream. They are held and sent when the client turns to reading the answer, which HTTP/1.1 always
does next, or once :data:`SEND_SLICE` bytes wait (a large body still goes in slices, without holding
it twice). On a whole passthrough answer the worker's samples in socket writes went from 31 % to 17 %.

Errors are httpcore's, as its anyio backend raises them: ``ConnectError``/``ConnectTimeout`` while
connecting or starting TLS, ``ReadError``/``ReadTimeout``, ``WriteError``/``WriteTimeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import ssl
from collections.abc import Awaitable, Iterable
from typing import Any, Final, cast

import httpcore

from coderouter_supervisor.worker.providers.request_body import SEND_SLICE

READ_BUFFER_LIMIT: Final = 256 * 1024
# anyio's delay between racing a host's addresses (a dead IPv6 route costs this, not the timeout).
_HAPPY_EYEBALLS_DELAY_S: Final = 0.25
# What httpx reported under anyio; the upstream's address stays out of what a client may be shown.
_CONNECT_FAILED: Final = "All connection attempts failed"


class GatheringBackend(httpcore.AsyncNetworkBackend):
    """Connections on the running asyncio loop (stdlib or uvloop) whose writes are gathered."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = None if local_address is None else (local_address, 0)
        if isinstance(loop, asyncio.BaseEventLoop):
            opening = loop.create_connection(
                _UpstreamProtocol, host, port, local_addr=local, happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY_S
            )
        else:
            # uvloop's create_connection has no happy_eyeballs_delay: it tries the addresses in turn.
            opening = loop.create_connection(_UpstreamProtocol, host, port, local_addr=local)
        return await _connected(opening, timeout, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        opening = asyncio.get_running_loop().create_unix_connection(_UpstreamProtocol, path)
        return await _connected(opening, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connected(
    opening: Awaitable[tuple[asyncio.Transport, _UpstreamProtocol]],
    timeout: float | None,
    socket_options: Iterable[Any] | None,
) -> GatheringStream:
    """The stream over the connection ``opening`` (a ``create_connection`` coroutine) makes."""
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await opening
    except TimeoutError as exc:  # before OSError: a TimeoutError is one
        raise httpcore.ConnectTimeout() from exc
    except socket.gaierror as exc:
        raise httpcore.ConnectError(exc) from exc
    except OSError as exc:
        raise httpcore.ConnectError(_CONNECT_FAILED) from exc
    # asyncio has set TCP_NODELAY already, as anyio relied on.
    try:
        for option in socket_options or ():
            transport.get_extra_info("socket").setsockopt(*option)
    except OSError as exc:
        transport.abort()
        raise httpcore.ConnectError(exc) from exc
    return GatheringStream(protocol, transport)


def _wake(waiter: asyncio.Future[bool] | None, woken: bool) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(woken)


class _UpstreamProtocol(asyncio.Protocol):
    """What the transport delivered and whether it can take more; wakes a waiting read or write.

    Waiters only ever get a result (``True`` woken, ``False`` timed out), never an exception, so a
    cancelled wait leaves nothing unretrieved behind.
    """

    transport: asyncio.Transport

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.chunks: list[bytes] = []
        self.size = 0
        self.ended = False  # the upstream sent EOF or the connection is gone
        self.lost: Exception | None = None
        self.reading_paused = False
        self.writing_paused = False
        self.read_waiter: asyncio.Future[bool] | None = None
        self.drain_waiter: asyncio.Future[bool] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        if self.size >= READ_BUFFER_LIMIT and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self.read_waiter, True)

    def eof_received(self) -> None:
        # Not kept open: HTTP/1.1 has no use for a half-closed upstream, and asyncio's TLS warns on it.
        self.ended = True
        _wake(self.read_waiter, True)

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self.lost = exc
        self.writing_paused = False
        _wake(self.read_waiter, True)
        _wake(self.drain_waiter, True)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        _wake(self.drain_waiter, True)

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of what arrived (some must have); reading resumes once all is taken."""
        chunks = self.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        if len(data) > max_bytes:
            chunks.append(data[max_bytes:])
            data = data[:max_bytes]
        self.size -= len(data)
        if self.reading_paused and not self.size:
            self.reading_paused = False
            self.transport.resume_reading()
        return data

    async def woken(self, timeout: float | None, *, drain: bool) -> bool:
        """Wait for news on the read side (or, with ``drain``, for writing to resume); ``False`` once
        ``timeout`` seconds passed without any."""
        waiter: asyncio.Future[bool] = self.loop.create_future()
        if drain:
            self.drain_waiter = waiter
        else:
            self.read_waiter = waiter
        timer = None if timeout is None else self.loop.call_later(timeout, _wake, waiter, False)
        try:
            return await waiter
        finally:
            if timer is not None:
                timer.cancel()
            if drain:
                self.drain_waiter = None
            else:
                self.read_waiter = None


class GatheringStream(httpcore.AsyncNetworkStream):
    """One upstream connection; writes are held until the next read (or :data:`SEND_SLICE` bytes)."""

    def __init__(self, protocol: _UpstreamProtocol, transport: asyncio.Transport) -> None:
        self._protocol = protocol
        self._transport = transport
        self._socket: socket.socket | None = transport.get_extra_info("socket")
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._write_timeout: float | None = None
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            # As httpcore does when a write fails: the upstream may have answered before closing
            # (a 413 for a body it will not take), and reading says what happened.
            with contextlib.suppress(httpcore.WriteError):
                await self._send_held()
        protocol = self._protocol
        if not protocol.size:
            if self._closed:
                raise httpcore.ReadError("read from a closed connection")
            if not protocol.ended and not await protocol.woken(timeout, drain=False):
                raise httpcore.ReadTimeout()
            if not protocol.size:
                if protocol.lost is not None:
                    raise httpcore.ReadError() from protocol.lost
                return b""
        return protocol.take(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._held_bytes += len(buffer)
        self._write_timeout = timeout
        if self._held_bytes >= SEND_SLICE:
            await self._send_held()

    async def _send_held(self) -> None:
        held = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held = []
        self._held_bytes = 0
        protocol = self._protocol
        transport = self._transport
        if not transport.is_closing():
            transport.write(held)
            if protocol.writing_paused and not await protocol.woken(self._write_timeout, drain=True):
                raise httpcore.WriteTimeout()
        # A send that failed closes the transport; asyncio drops writes to a closing one without a word.
        if transport.is_closing():
            raise httpcore.WriteError() from protocol.lost

    async def aclose(self) -> None:
        """Drops what is held or unsent and closes at once; idempotent."""
        self._held = []
        self._held_bytes = 0
        self._closed = True
        self._transport.abort()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                transport = await self._protocol.loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:  # before OSError: a TimeoutError is one
            await self.aclose()
            raise httpcore.ConnectTimeout() from exc
        except OSError as exc:  # ssl.SSLError (a certificate that does not verify) is one
            await self.aclose()
            raise httpcore.ConnectError(exc) from exc
        if transport is None:  # the loop's start_tls saw the connection close during the handshake
            await self.aclose()
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        self._protocol.transport = transport
        return GatheringStream(self._protocol, transport)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # Asked of every pooled connection before it is reused: news means the upstream closed it.
            return bool(self._protocol.size or self._protocol.ended) or _readable_or_closed(self._socket)
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return _host_and_port(self._transport.get_extra_info("sockname"))
        if info == "server_addr":
            return _host_and_port(self._transport.get_extra_info("peername"))
        if info == "socket":
            return self._socket
        return None


def _host_and_port(address: Any) -> Any:
    """An IPv6 socket address without its flow and scope fields, as anyio gave it."""
    return address[:2] if isinstance(address, tuple) else address


def _readable_or_closed(sock: socket.socket | None) -> bool:
    """Whether an idle connection has something to read (the upstream closed it), as httpcore asks."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
