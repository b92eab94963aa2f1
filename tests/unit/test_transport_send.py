"""How a request goes to the upstream and its answer comes back (httpcore's pool faked, no network)."""

from __future__ import annotations

import asyncio
import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Callable

import httpcore
import pytest

from coderouter_supervisor.worker.errors import (
    UpstreamAnswerTooLarge,
    UpstreamConnectError,
    UpstreamError,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.providers.transport import post_json
from coderouter_supervisor.worker.providers.upstream_client import (
    DECODED_PIECE,
    UpstreamAnswer,
    UpstreamClient,
    request_headers,
    request_target,
    request_timeouts,
)
from coderouter_supervisor.worker.version import VERSION


class Pool:
    """Records each request and the pieces its body was written in; answers what ``answer`` makes."""

    def __init__(self, answer: Callable[[], httpcore.Response] | None = None) -> None:
        self.requests: list[httpcore.Request] = []
        self.pieces: list[bytes] = []
        self._answer = answer or (lambda: httpcore.Response(200, content=b'{"ok": true}'))

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        assert isinstance(request.stream, AsyncIterable)
        self.pieces.extend([piece async for piece in request.stream])
        self.requests.append(request)
        return self._answer()

    async def aclose(self) -> None:
        return None


def _post(pool: Pool, body: dict[str, object], headers: dict[str, str] | None = None) -> dict[str, object]:
    async def run() -> dict[str, object]:
        async with UpstreamClient(pool) as http:
            return await post_json(
                http,
                "http://up/v1/chat/completions",
                headers or {},
                body,
                timeout_s=5,
                provider="p",
                limit=1 << 20,
            )

    return asyncio.run(run())


def _headers(request: httpcore.Request) -> dict[str, str]:
    return {name.decode().lower(): value.decode() for name, value in request.headers}


def test_a_large_body_is_sent_in_pieces_with_its_length_declared_not_chunked() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x" * 3_000_000}]}
    pool = Pool()
    assert _post(pool, body) == {"ok": True}
    content = b"".join(pool.pieces)
    headers = _headers(pool.requests[0])
    assert headers["content-length"] == str(len(content))
    assert "transfer-encoding" not in headers
    assert json.loads(content) == body
    assert len(pool.pieces) > 10
    assert max(len(piece) for piece in pool.pieces) <= 256 * 1024


def test_a_small_body_is_sent_whole_with_its_length() -> None:
    pool = Pool()
    _post(pool, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert len(pool.pieces) == 1
    assert json.loads(pool.pieces[0])["messages"][0]["content"] == "hi"
    assert _headers(pool.requests[0])["content-length"] == str(len(pool.pieces[0]))


def test_the_upstream_url_and_timeouts_are_sent_as_asked_and_worked_out_once() -> None:
    pool = Pool()
    _post(pool, {"model": "m", "messages": []})
    request = pool.requests[0]
    assert request.method == b"POST"
    assert (request.url.scheme, request.url.host, request.url.port, request.url.target) == (
        b"http",
        b"up",
        None,
        b"/v1/chat/completions",
    )
    assert request.extensions["timeout"] == {"connect": 5, "read": 5, "write": 5, "pool": 5}
    assert request_timeouts(60)["connect"] == 10  # a connect waits 10 s at most
    # Worked out once per URL text and timeout, not on every request.
    assert request_target("http://up/v1/chat/completions") is request_target("http://up/v1/chat/completions")
    assert request_timeouts(5) is request_timeouts(5)


def test_the_defaults_httpx_sent_go_unless_the_call_sets_them() -> None:
    target = request_target("http://Example.COM:8080/v1/messages?beta=true")
    assert target.url.target == b"/v1/messages?beta=true"
    sent = dict(request_headers(target, {"content-type": "application/json"}, 12))
    assert sent == {
        b"Host": b"example.com:8080",
        b"Accept": b"*/*",
        b"Accept-Encoding": b"gzip, deflate",
        b"Connection": b"keep-alive",
        b"User-Agent": f"coderouter-supervisor/{VERSION}".encode(),
        b"content-type": b"application/json",
        b"Content-Length": b"12",
    }
    own = request_headers(target, {"User-Agent": "mine/1", "accept": "text/plain", "host": "h"}, None)
    names = [name.lower() for name, _ in own]
    assert sorted(names) == sorted(set(names))  # each once
    assert dict(own)[b"User-Agent"] == b"mine/1"
    assert dict(own)[b"accept"] == b"text/plain"
    assert dict(own)[b"host"] == b"h"
    assert b"content-length" not in names  # no body, no length


@pytest.mark.parametrize(
    ("url", "host"),
    [
        pytest.param("http://127.0.0.1:80/v1", b"127.0.0.1", id="default-http-port"),
        pytest.param("https://api.example.com/v1", b"api.example.com", id="https"),
        pytest.param("https://api.example.com:443/v1", b"api.example.com", id="default-https-port"),
        pytest.param("http://[::1]:11434/v1", b"[::1]:11434", id="ipv6"),
        pytest.param("http://bücher.example:8000/v1", b"xn--bcher-kva.example:8000", id="idna"),
    ],
)
def test_the_host_header_is_formed_as_httpx_formed_it(url: str, host: bytes) -> None:
    assert request_target(url).host == host


def test_credentials_in_the_url_are_sent_as_basic_auth() -> None:
    sent = dict(
        request_headers(request_target("http://user:pa%20ss@up/v1"), {"authorization": "Bearer k"}, None)
    )
    assert sent[b"Authorization"] == b"Basic dXNlcjpwYSBzcw=="  # user:pa ss
    assert b"authorization" not in sent


def test_the_upstream_client_keeps_no_cookie_an_answer_sets() -> None:
    pool = Pool(
        lambda: httpcore.Response(200, headers=[(b"set-cookie", b"session=alice; Path=/")], content=b"{}")
    )
    _post(pool, {"model": "m"})
    _post(pool, {"model": "m"})
    assert "cookie" not in _headers(pool.requests[1])


_ANSWER = {"answer": "x" * 5000}


@pytest.mark.parametrize(
    ("coding", "encoded"),
    [
        pytest.param("gzip", gzip.compress(json.dumps(_ANSWER).encode()), id="gzip"),
        pytest.param("deflate", zlib.compress(json.dumps(_ANSWER).encode()), id="deflate"),
        pytest.param("deflate", zlib.compress(json.dumps(_ANSWER).encode())[2:-4], id="raw-deflate"),
        pytest.param(
            "deflate, gzip",
            gzip.compress(zlib.compress(json.dumps(_ANSWER).encode())),
            id="deflate-then-gzip",
        ),
        pytest.param("identity", json.dumps(_ANSWER).encode(), id="identity"),
        pytest.param("br", json.dumps(_ANSWER).encode(), id="never-asked-for"),
    ],
)
def test_a_compressed_answer_is_decoded(coding: str, encoded: bytes) -> None:
    pool = Pool(
        lambda: httpcore.Response(200, headers=[(b"Content-Encoding", coding.encode())], content=encoded)
    )
    assert _post(pool, {"model": "m"}) == _ANSWER


def test_a_compressed_answer_past_the_limit_is_refused_before_it_is_expanded() -> None:
    # 64 MiB of zeros in about 64 KiB: decoded in bounded pieces, the read stops at its 1 MiB limit.
    bomb = gzip.compress(b" " * (64 << 20))
    pool = Pool(lambda: httpcore.Response(200, headers=[(b"Content-Encoding", b"gzip")], content=bomb))
    tracemalloc.start()
    try:
        with pytest.raises(UpstreamAnswerTooLarge):
            _post(pool, {"model": "m"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_an_answer_is_decoded_in_bounded_pieces() -> None:
    body = zlib.compress(b"a" * (3 << 20))
    answer = UpstreamAnswer(200, [(b"content-encoding", b"deflate")], _chunks_of(body, 1000))

    async def pieces() -> list[bytes]:
        return [piece async for piece in answer.chunks()]

    decoded = asyncio.run(pieces())
    assert b"".join(decoded) == b"a" * (3 << 20)
    assert max(map(len, decoded)) <= DECODED_PIECE


async def _chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _raising(exc: Exception) -> Pool:
    class Failing(Pool):
        async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
            raise exc

    return Failing()


class _CutBody:
    def __init__(self, exc: Exception) -> None:
        self._exc = exc

    async def __aiter__(self) -> AsyncIterable[bytes]:
        yield b'{"ok": '
        raise self._exc


@pytest.mark.parametrize(
    ("pool", "expected", "wording"),
    [
        pytest.param(
            _raising(httpcore.ConnectError("refused")), UpstreamConnectError, "cannot connect", id="connect"
        ),
        pytest.param(
            _raising(httpcore.ConnectTimeout("slow")), UpstreamConnectError, "cannot connect", id="conn-to"
        ),
        pytest.param(
            _raising(httpcore.ReadTimeout("slow")), UpstreamTimeout, "did not answer", id="read-timeout"
        ),
        pytest.param(
            _raising(httpcore.WriteTimeout("slow")), UpstreamTimeout, "did not answer", id="write-timeout"
        ),
        pytest.param(
            _raising(httpcore.PoolTimeout("full")), UpstreamTimeout, "did not answer", id="pool-timeout"
        ),
        pytest.param(_raising(httpcore.ReadError("reset")), UpstreamConnectError, "failed", id="read-error"),
        pytest.param(_raising(httpcore.WriteError("pipe")), UpstreamConnectError, "failed", id="write-error"),
        pytest.param(
            _raising(httpcore.RemoteProtocolError("bad")),
            UpstreamConnectError,
            "failed",
            id="remote-protocol",
        ),
        pytest.param(
            _raising(httpcore.LocalProtocolError("bad")), UpstreamConnectError, "failed", id="local-protocol"
        ),
        pytest.param(
            Pool(lambda: httpcore.Response(200, content=_CutBody(httpcore.RemoteProtocolError("closed")))),
            UpstreamConnectError,
            "failed",
            id="closed-mid-body",
        ),
        pytest.param(
            Pool(lambda: httpcore.Response(200, content=_CutBody(httpcore.ReadTimeout("slow")))),
            UpstreamTimeout,
            "did not answer",
            id="timeout-mid-body",
        ),
        pytest.param(
            Pool(
                lambda: httpcore.Response(200, headers=[(b"content-encoding", b"gzip")], content=b"not gzip")
            ),
            UpstreamConnectError,
            "failed",
            id="undecodable",
        ),
    ],
)
def test_transport_failures_become_the_same_errors_as_before(
    pool: Pool, expected: type[UpstreamError], wording: str
) -> None:
    with pytest.raises(UpstreamError) as caught:
        _post(pool, {"model": "m"})
    assert type(caught.value) is expected
    assert wording in caught.value.message
