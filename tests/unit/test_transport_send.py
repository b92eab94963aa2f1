"""How a request body goes to the upstream socket (pure httpx, no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable

import httpx

from coderouter_supervisor.worker.providers.transport import _parsed_url, _timeout, post_json, upstream_client


def _send(body: dict[str, object]) -> tuple[httpx.Request, list[bytes]]:
    """The request the upstream saw, and the pieces its body was written in."""
    seen: list[httpx.Request] = []
    pieces: list[bytes] = []

    class Upstream(httpx.AsyncBaseTransport):
        # Not httpx.MockTransport: it reads the body whole before a handler sees it.
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            assert isinstance(request.stream, AsyncIterable)
            pieces.extend([piece async for piece in request.stream])
            seen.append(request)
            return httpx.Response(200, json={"ok": True})

    async def run() -> None:
        async with httpx.AsyncClient(transport=Upstream()) as http:
            answer = await post_json(
                http, "http://up/v1/chat/completions", {}, body, timeout_s=5, provider="p", limit=1024
            )
            assert answer == {"ok": True}

    asyncio.run(run())
    return seen[0], pieces


def test_a_large_body_is_sent_in_pieces_with_its_length_declared_not_chunked() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x" * 3_000_000}]}
    request, pieces = _send(body)
    content = b"".join(pieces)
    assert request.headers["content-length"] == str(len(content))
    assert "transfer-encoding" not in request.headers
    assert json.loads(content) == body
    assert len(pieces) > 10
    assert max(len(piece) for piece in pieces) <= 256 * 1024


def test_a_small_body_is_sent_whole() -> None:
    request, pieces = _send({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert "transfer-encoding" not in request.headers
    assert len(pieces) == 1
    assert json.loads(pieces[0])["messages"][0]["content"] == "hi"


def test_the_upstream_url_and_timeouts_are_sent_as_asked_and_worked_out_once() -> None:
    request, _ = _send({"model": "m", "messages": []})
    assert str(request.url) == "http://up/v1/chat/completions"
    assert request.extensions["timeout"] == {"connect": 5, "read": 5, "write": 5, "pool": 5}
    # Parsed once per URL text and timeout, not on every request.
    assert _parsed_url("http://up/v1/chat/completions") is _parsed_url("http://up/v1/chat/completions")
    assert _timeout(5) is _timeout(5)


def test_the_upstream_client_keeps_no_cookie_an_answer_sets() -> None:
    async def run() -> httpx.Request:
        async with upstream_client() as http:
            first = http.build_request("POST", "http://up/v1/messages")
            http.cookies.extract_cookies(
                httpx.Response(200, headers={"set-cookie": "session=alice; Path=/"}, request=first)
            )
            return http.build_request("POST", "http://up/v1/messages")

    second = asyncio.run(run())
    assert "cookie" not in second.headers
