"""What goes over the wire to an upstream, and what the gateway takes back: the headers an upstream
receives, and answers it compresses."""

from __future__ import annotations

import json

import httpx
import pytest

from coderouter_supervisor.worker.version import VERSION

from support.fake_upstream import Reply
from support.ingress import IngressName, send
from support.stack import CLIENT_KEY, Stack

MODEL = "claude-sonnet-4-6"
HELLO = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("profile", ["local", "claude"])
def test_the_upstream_gets_the_headers_httpx_sent_and_a_declared_length(fresh: Stack, profile: str) -> None:
    upstream = fresh.upstream(profile)
    fresh.anthropic_client(profile).messages.create(model=MODEL, max_tokens=16, messages=HELLO)  # type: ignore[arg-type]
    [call] = upstream.calls()
    assert call.headers["host"] == f"127.0.0.1:{upstream.port}"  # not the scheme's default port: named
    assert call.headers["user-agent"] == f"coderouter-supervisor/{VERSION}"
    assert call.headers["accept"] == "*/*"
    assert call.headers["accept-encoding"] == "gzip, deflate"
    assert call.headers["connection"] == "keep-alive"
    assert call.headers["content-type"] == "application/json"
    # The body as the gateway encoded it, its length declared rather than chunked.
    assert call.headers["content-length"] == str(len(json.dumps(call.body)))
    assert "transfer-encoding" not in call.headers
    assert "cookie" not in call.headers


@pytest.mark.parametrize("profile", ["local", "claude", "local-responses"])
@pytest.mark.parametrize("client", ["anthropic", "openai"])
def test_a_gzipped_whole_answer_is_decoded(fresh: Stack, profile: str, client: str) -> None:
    fresh.upstream(profile).gzip_answers = True
    if client == "anthropic":
        message = fresh.anthropic_client(profile).messages.create(model=MODEL, max_tokens=16, messages=HELLO)  # type: ignore[arg-type]
        assert message.content[0].text == "Hello from the fake upstream."  # type: ignore[union-attr]
        assert message.usage.output_tokens == 7
    else:
        answer = fresh.openai_client(profile).chat.completions.create(model=MODEL, messages=HELLO)  # type: ignore[arg-type]
        assert answer.choices[0].message.content == "Hello from the fake upstream."
        assert answer.usage is not None and answer.usage.completion_tokens == 7


@pytest.mark.parametrize("profile", ["local", "claude", "local-responses"])
@pytest.mark.parametrize("client", ["anthropic", "openai"])
def test_a_gzipped_stream_is_decoded_event_by_event(fresh: Stack, profile: str, client: str) -> None:
    fresh.upstream(profile).gzip_answers = True
    if client == "anthropic":
        with fresh.anthropic_client(profile).messages.stream(
            model=MODEL, max_tokens=16, messages=HELLO
        ) as stream:  # type: ignore[arg-type]
            text = "".join(stream.text_stream)
            final = stream.get_final_message()
        assert final.usage.output_tokens == 7
    else:
        chunks = list(
            fresh.openai_client(profile).chat.completions.create(
                model=MODEL,
                messages=HELLO,  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7
    assert text == "Hello from the fake upstream."


def test_a_client_header_with_a_byte_outside_ascii_goes_upstream_as_it_came(fresh: Stack) -> None:
    response = httpx.post(
        f"{fresh.gateway.base_url}/v1/messages",
        headers={
            "x-api-key": CLIENT_KEY,
            "x-coderouter-profile": "claude",
            "anthropic-beta": "caf\xe9".encode("latin-1"),
        },
        json={"model": MODEL, "max_tokens": 16, "messages": HELLO},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert fresh.claude.last.headers["anthropic-beta"] == "caf\xe9"


@pytest.mark.parametrize("ingress", ["anthropic", "openai", "responses"])
def test_an_upstream_that_drops_the_connection_mid_answer_is_a_connection_failure(
    fresh: Stack, ingress: IngressName
) -> None:
    # Streams cut midway are in test_stream_failures; this is a whole answer cut short of its length.
    fresh.local.queue(Reply(cut_whole_answer=True))
    answer = send(fresh.gateway, ingress, False, profile="local-then-claude")
    assert answer.status == 200, answer.raw
    assert answer.text == "Hello from the fake upstream."
    assert answer.fallback_chain == "ollama;failed=connect, anthropic-direct;ok"
