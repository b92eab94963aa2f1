"""The worker's one HTTP client for upstream calls: httpcore's connection pool with nothing above it.

httpx's client layer (request and response objects, auth and redirect flows, the cookie jar, content
decoders, byte chunkers, timers) cost about a tenth of a worker's busy time on every request, for
nothing the gateway uses: it builds its own headers, follows no redirect and keeps no cookie. This
client sends what httpx sent (the same default headers, timeouts and pool) and undoes ``gzip`` and
``deflate`` as httpx did. httpcore's exceptions pass through unmapped: :data:`TRANSPORT_ERRORS`
names them, and :mod:`.transport` says what each becomes.
"""

from __future__ import annotations

import base64
import functools
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import httpcore
import httpx

from coderouter_supervisor.worker.providers.gathered_writes import GatheringBackend
from coderouter_supervisor.worker.version import VERSION


class UndecodableAnswer(Exception):
    """An answer's body does not decode as its ``Content-Encoding`` says."""


# httpcore's exceptions share no base class; these are every failure of an exchange itself.
TRANSPORT_ERRORS: Final = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.ProxyError,
    httpcore.UnsupportedProtocol,
    UndecodableAnswer,
)

_CONNECT_TIMEOUT_S: Final = 10.0


@functools.lru_cache(maxsize=64)
def request_timeouts(timeout_s: float) -> dict[str, float]:
    """httpcore's timeouts for a call: ``timeout_s`` bounds each wait (connect, each read), not the
    whole call. Cached: a config has a handful of timeouts, and httpcore only reads the table."""
    return {
        "connect": min(timeout_s, _CONNECT_TIMEOUT_S),
        "read": timeout_s,
        "write": timeout_s,
        "pool": timeout_s,
    }


@dataclass(frozen=True)
class Target:
    """An upstream URL as httpcore takes it, with the headers it implies."""

    url: httpcore.URL
    host: bytes  # host[:port], the port only when not the scheme's default, IDNA-encoded
    authorization: bytes | None  # Basic, from credentials written into the URL


@functools.lru_cache(maxsize=256)
def request_target(url: str) -> Target:
    """``url`` worked out once per URL text (a config has a handful); httpx's parser applies the
    IDNA, default port and percent-encoding rules."""
    parsed = httpx.URL(url)
    authorization = None
    if parsed.username or parsed.password:
        credentials = f"{parsed.username}:{parsed.password}".encode()
        authorization = b"Basic " + base64.b64encode(credentials)
    return Target(
        httpcore.URL(
            scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
        ),
        parsed.netloc,
        authorization,
    )


# What httpx sent unless the call set it (gzip and deflate are the codings it decoded here).
_DEFAULT_HEADERS: Final = (
    ("accept", b"Accept", b"*/*"),
    ("accept-encoding", b"Accept-Encoding", b"gzip, deflate"),
    ("connection", b"Connection", b"keep-alive"),
    ("user-agent", b"User-Agent", f"coderouter-supervisor/{VERSION}".encode()),
)


def request_headers(
    target: Target, headers: Mapping[str, str], length: int | None
) -> list[tuple[bytes, bytes]]:
    """The headers sent: the call's own, then the defaults it did not set, ``Content-Length`` for a
    body of ``length`` bytes (httpcore adds none), and credentials in the URL as httpx sent them (over
    the call's own ``Authorization``)."""
    names = {name.lower() for name in headers}
    sent = [] if "host" in names else [(b"Host", target.host)]
    sent.extend((name, value) for key, name, value in _DEFAULT_HEADERS if key not in names)
    own: Iterable[tuple[str, str]] = headers.items()
    if target.authorization is not None:
        own = [(name, value) for name, value in own if name.lower() != "authorization"]
        sent.append((b"Authorization", target.authorization))
    # Values as the client's bytes were (Starlette decodes them as Latin-1): a client's header with a
    # byte outside ASCII (``anthropic-beta``) goes on as it came, for the upstream to judge.
    sent.extend((name.encode("ascii"), value.encode("latin-1")) for name, value in own)
    if length is not None and "content-length" not in names:
        sent.append((b"Content-Length", b"%d" % length))
    return sent


# The most one decoded piece may hold: a compressed answer can expand a thousandfold, and the reader
# counts the pieces against its limit as they come.
DECODED_PIECE: Final = 256 * 1024


class _Inflate:
    """One ``gzip`` or ``deflate`` coding undone; deflate as zlib data or, as some servers send it, raw."""

    def __init__(self, coding: str) -> None:
        self._raw_deflate_possible = coding == "deflate"
        self._decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)

    def decode(self, data: bytes) -> Iterator[bytes]:
        """``data`` undone, in pieces of at most :data:`DECODED_PIECE` bytes."""
        first, self._raw_deflate_possible = self._raw_deflate_possible, False
        try:
            piece = self._decompressor.decompress(data, DECODED_PIECE)
        except zlib.error as exc:
            if first:
                self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                yield from self.decode(data)
                return
            raise UndecodableAnswer(str(exc)) from exc
        while True:
            if piece:
                yield piece
            tail = self._decompressor.unconsumed_tail
            if not tail:
                return
            try:
                piece = self._decompressor.decompress(tail, DECODED_PIECE)
            except zlib.error as exc:
                raise UndecodableAnswer(str(exc)) from exc

    def flush(self) -> bytes:
        try:
            return self._decompressor.flush()
        except zlib.error as exc:
            raise UndecodableAnswer(str(exc)) from exc


def _undone(inflaters: Sequence[_Inflate], data: bytes) -> Iterator[bytes]:
    """``data`` through every coding of ``inflaters`` in turn, piece by piece."""
    if not inflaters:
        if data:
            yield data
        return
    for piece in inflaters[0].decode(data):
        yield from _undone(inflaters[1:], piece)


_CODINGS: Final = frozenset({"gzip", "deflate"})


def _inflaters(content_encoding: str | None) -> list[_Inflate]:
    """The codings to undo, last applied first; ``identity`` and codings never asked for pass through."""
    if not content_encoding:
        return []
    codings = [coding.strip().lower() for coding in content_encoding.split(",")]
    return [_Inflate(coding) for coding in reversed(codings) if coding in _CODINGS]


class UpstreamAnswer:
    """An upstream's answer: its status, its headers, and its body, read once through :meth:`chunks`.

    Close it with :meth:`aclose` (idempotent) unless :meth:`chunks` was read to its end: that hands
    the connection back to the pool, or closes it when the body was not read through.
    """

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: AsyncIterable[bytes]) -> None:
        self.status = status
        self.headers = headers
        self._body = body

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (lowercase), several joined by commas; None when absent."""
        key = name.encode("ascii")
        values = [value.decode("latin-1") for found, value in self.headers if found.lower() == key]
        return ", ".join(values) if values else None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives, decoded, never an empty chunk; raises one of :data:`TRANSPORT_ERRORS`."""
        inflaters = _inflaters(self.header("content-encoding"))
        if not inflaters:
            async for chunk in self._body:
                if chunk:
                    yield chunk
        else:
            async for raw in self._body:
                for piece in _undone(inflaters, raw):
                    yield piece
            for index, inflater in enumerate(inflaters):
                for piece in _undone(inflaters[index + 1 :], inflater.flush()):
                    yield piece
        await self.aclose()

    async def aclose(self) -> None:
        aclose = getattr(self._body, "aclose", None)
        if aclose is not None:
            await aclose()


class ConnectionPool(Protocol):
    """What the client needs of httpcore's pool (a test hands in its own)."""

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response: ...

    async def aclose(self) -> None: ...


_MAX_CONNECTIONS: Final = 200
_MAX_KEEPALIVE_CONNECTIONS: Final = 40
_KEEPALIVE_EXPIRY_S: Final = 30.0


def _pool() -> httpcore.AsyncConnectionPool:
    """Pooled connections that send a request in one write (see :mod:`.gathered_writes`), verified
    against the CA bundle httpx uses (``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set)."""
    return httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=_MAX_CONNECTIONS,
        max_keepalive_connections=_MAX_KEEPALIVE_CONNECTIONS,
        keepalive_expiry=_KEEPALIVE_EXPIRY_S,
        network_backend=GatheringBackend(),
    )


class UpstreamClient:
    """The worker's one client for every upstream call: pooled connections; no cookie is kept (one
    client serves every caller) and no redirect followed. Close it with :meth:`aclose`."""

    def __init__(self, pool: ConnectionPool | None = None) -> None:
        self._pool = pool if pool is not None else _pool()

    async def send(
        self,
        method: bytes,
        url: str,
        headers: Mapping[str, str],
        body: bytes | AsyncIterable[bytes] | None,
        length: int | None,
        timeout_s: float,
    ) -> UpstreamAnswer:
        """Send a request and return once the answer's head arrived, whatever its status; ``length``
        is the body's size in bytes. Raises one of :data:`TRANSPORT_ERRORS`."""
        target = request_target(url)
        request = httpcore.Request(
            method,
            target.url,
            headers=request_headers(target, headers, length),
            content=body,
            extensions={"timeout": request_timeouts(timeout_s)},
        )
        response = await self._pool.handle_async_request(request)
        return UpstreamAnswer(response.status, response.headers, _async_body(response.stream))

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def __aenter__(self) -> UpstreamClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _async_body(stream: Iterable[bytes] | AsyncIterable[bytes]) -> AsyncIterable[bytes]:
    if not isinstance(stream, AsyncIterable):
        raise TypeError("an async connection pool answers with an async body")
    return stream


def upstream_client() -> UpstreamClient:
    """The worker's one client for every upstream call."""
    return UpstreamClient()
