"""Streams that go wrong: silent upstreams, cut connections, in-stream errors."""

from __future__ import annotations

import json
import time

import anthropic
import httpx
import openai
import pytest

from support.fake_upstream import Failure, Reply
from support.stack import CLIENT_KEY, Stack

MODEL = "claude-sonnet-4-6"
SILENCE_S = 12.0  # longer than the gateway's 10 s ping interval, as a local model's prompt processing is


def _sse_events(response: httpx.Response) -> list[tuple[float, str, str]]:
    """(seconds since the request, event name, data) for every SSE frame, as the bytes arrive."""
    started = time.monotonic()
    events: list[tuple[float, str, str]] = []
    name, data = "", ""
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line.startswith(":"):
            events.append((time.monotonic() - started, "comment", line))
        elif line == "" and (name or data):
            events.append((time.monotonic() - started, name, data))
            name, data = "", ""
    return events


@pytest.mark.parametrize("profile", ["local", "claude"])
def test_pings_flow_while_the_upstream_is_silent(fresh: Stack, profile: str) -> None:
    fresh.upstream(profile).queue(Reply(text="finally", silence_s=SILENCE_S))
    with httpx.stream(
        "POST",
        f"{fresh.gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY, "x-coderouter-profile": profile, "anthropic-version": "2023-06-01"},
        json={
            "model": MODEL,
            "max_tokens": 32,
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
        timeout=60,
    ) as response:
        assert response.status_code == 200
        events = _sse_events(response)
    names = [name for _, name, _ in events]
    first_text = next(i for i, (_, name, data) in enumerate(events) if name == "content_block_delta")
    pings_before_text = [t for t, name, _ in events[:first_text] if name == "ping"]
    assert pings_before_text, names
    assert pings_before_text[0] <= 11.0  # the first keep-alive comes within the ping interval
    assert names.count("message_start") == 1
    assert names[-1] == "message_stop"
    text = "".join(json.loads(d)["delta"].get("text", "") for _, n, d in events if n == "content_block_delta")
    assert text == "finally"


def _anthropic_stream(stack: Stack, profile: str) -> tuple[httpx.Response, list[tuple[float, str, str]]]:
    with httpx.stream(
        "POST",
        f"{stack.gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY, "x-coderouter-profile": profile},
        json={
            "model": MODEL,
            "max_tokens": 32,
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
        timeout=60,
    ) as response:
        return response, _sse_events(response)


def test_pings_while_the_upstream_has_not_even_sent_headers(fresh: Stack) -> None:
    # Ollama sends its response headers with the first token, after the whole prompt is processed.
    fresh.local.queue(Reply(text="loaded", headers_delay_s=SILENCE_S))
    response, events = _anthropic_stream(fresh, "local")
    assert response.status_code == 200
    names = [name for _, name, _ in events]
    assert names[0] == "ping"
    assert events[0][0] <= 11.0
    assert names.index("message_start") > 0
    assert names[-1] == "message_stop"
    assert response.headers["x-coderouter-profile"] == "local"


def test_fallback_still_happens_after_pings_started(fresh: Stack) -> None:
    fresh.local.queue(Failure(503, "model is loading", delay_s=SILENCE_S))
    fresh.claude.queue(Reply(text="from the second provider"))
    response, events = _anthropic_stream(fresh, "local-then-claude")
    assert response.status_code == 200
    names = [name for _, name, _ in events]
    assert names[0] == "ping"
    assert names.count("message_start") == 1
    assert names[-1] == "message_stop"
    text = "".join(json.loads(d)["delta"].get("text", "") for _, n, d in events if n == "content_block_delta")
    assert text == "from the second provider"


def test_every_provider_failing_after_pings_ends_with_an_error_event(fresh: Stack) -> None:
    fresh.local.queue(Failure(503, "model is loading", delay_s=SILENCE_S))
    fresh.claude.queue(
        Failure(429, "rate limited", error_type="rate_limit_error", headers={"retry-after": "7"})
    )
    response, events = _anthropic_stream(fresh, "local-then-claude")
    assert response.status_code == 200
    assert events[0][1] == "ping"
    assert events[-1][1] == "error"
    assert "message_start" not in [name for _, name, _ in events]
    error = json.loads(events[-1][2])["error"]
    assert error["type"] in ("rate_limit_error", "overloaded_error", "api_error")
    assert error["message"]


@pytest.mark.parametrize("profile", ["local", "claude"])
def test_upstream_cut_mid_stream_ends_anthropic_stream_with_error_event(fresh: Stack, profile: str) -> None:
    fresh.upstream(profile).queue(Reply(text="a long answer that will be cut", chunk_chars=2, drop_after=5))
    with httpx.stream(
        "POST",
        f"{fresh.gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY, "x-coderouter-profile": profile},
        json={
            "model": MODEL,
            "max_tokens": 32,
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
        timeout=30,
    ) as response:
        assert response.status_code == 200
        events = _sse_events(response)
    names = [name for _, name, _ in events]
    assert "content_block_delta" in names
    assert names[-1] == "error", names
    assert "message_stop" not in names
    error = json.loads(events[-1][2])
    assert error["type"] == "error"
    assert error["error"]["type"] in ("api_error", "overloaded_error")

    fresh.upstream(profile).queue(Reply(text="a long answer that will be cut", chunk_chars=2, drop_after=5))
    with (
        pytest.raises(anthropic.APIError),
        fresh.anthropic_client(profile).messages.stream(
            model=MODEL, max_tokens=32, messages=[{"role": "user", "content": "x"}]
        ) as stream,
    ):
        stream.get_final_message()


@pytest.mark.parametrize("profile", ["local", "claude"])
def test_upstream_cut_mid_stream_ends_openai_stream_with_error_chunk_and_no_done(
    fresh: Stack, profile: str
) -> None:
    fresh.upstream(profile).queue(Reply(text="a long answer that will be cut", chunk_chars=2, drop_after=5))
    with httpx.stream(
        "POST",
        f"{fresh.gateway.base_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {CLIENT_KEY}", "x-coderouter-profile": profile},
        json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]},
        timeout=30,
    ) as response:
        assert response.status_code == 200
        data = [d for _, _, d in _sse_events(response)]
    # [DONE] would tell the client the answer is complete: a cut stream ends on its error.
    assert "[DONE]" not in data
    error = json.loads(data[-1])
    assert set(error) == {"error"}
    assert error["error"]["message"]
    assert any("choices" in json.loads(d) for d in data[:-1])

    fresh.upstream(profile).queue(Reply(text="a long answer that will be cut", chunk_chars=2, drop_after=5))
    with pytest.raises(openai.APIError):
        for _ in fresh.openai_client(profile).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        ):
            pass


def test_anthropic_upstream_in_stream_overload_is_relayed(fresh: Stack) -> None:
    fresh.claude.queue(
        Reply(text="partial answer here", chunk_chars=3, error_after=4, error_message="Overloaded")
    )
    with httpx.stream(
        "POST",
        f"{fresh.gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY, "x-coderouter-profile": "claude"},
        json={
            "model": MODEL,
            "max_tokens": 32,
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
        timeout=30,
    ) as response:
        events = _sse_events(response)
    assert events[-1][1] == "error"
    error = json.loads(events[-1][2])["error"]
    assert error["type"] == "overloaded_error"
    assert "Overloaded" in error["message"]


def test_stream_that_breaks_before_content_fails_over_to_nothing_gracefully(fresh: Stack) -> None:
    # Only message_start/role chunk arrived: nothing reached the client yet, so the gateway may still
    # answer with a plain error status instead of a broken stream.
    fresh.local.queue(Reply(text="never", drop_after=1))
    response = httpx.post(
        f"{fresh.gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY},
        json={
            "model": MODEL,
            "max_tokens": 32,
            "stream": True,
            "messages": [{"role": "user", "content": "x"}],
        },
        timeout=30,
    )
    assert response.status_code in (502, 529), response.text
    assert response.json()["type"] == "error"
