"""Same protocol on both sides: Anthropic → Anthropic and OpenAI → OpenAI-compatible."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest

from support.fake_upstream import Failure, Reply, ToolCall, Usage
from support.stack import CLIENT_KEY, PROVIDER_KEY, Stack

MODEL = "claude-sonnet-4-6"


def test_anthropic_passthrough_keeps_beta_header_and_unknown_fields(fresh: Stack) -> None:
    response = httpx.post(
        f"{fresh.gateway.base_url}/v1/messages",
        headers={
            "x-api-key": CLIENT_KEY,
            "anthropic-version": "2023-06-01",
            "anthropic-beta": "interleaved-thinking-2025-05-14,context-management-2025-06-27",
            "x-coderouter-profile": "claude",
        },
        json={
            "model": MODEL,
            "max_tokens": 64,
            "messages": [{"role": "user", "content": "hi"}],
            "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
            "thinking": {"type": "enabled", "budget_tokens": 1024},
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    sent = fresh.claude.last
    assert sent.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14,context-management-2025-06-27"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["context_management"] == {"edits": [{"type": "clear_tool_uses_20250919"}]}
    assert sent.body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert sent.headers["x-api-key"] == PROVIDER_KEY
    assert CLIENT_KEY not in json.dumps(sent.headers)
    assert response.headers["x-coderouter-provider"] == "anthropic-direct"
    assert response.headers["x-coderouter-profile"] == "claude"


def test_anthropic_passthrough_stream_thinking_and_tools(fresh: Stack) -> None:
    fresh.claude.queue(
        Reply(
            text="Checking.",
            reasoning="think first",
            tool_calls=(ToolCall("ls", {"dir": "."}),),
            usage=Usage(5, 6, 7, 8),
        )
    )
    with fresh.anthropic_client("claude").messages.stream(
        model=MODEL,
        max_tokens=64,
        tools=[{"name": "ls", "input_schema": {"type": "object"}}],
        messages=[{"role": "user", "content": "list"}],
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    assert final.content[2].input == {"dir": "."}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"
    assert final.usage.cache_read_input_tokens == 7
    assert final.usage.cache_creation_input_tokens == 8
    assert final.usage.output_tokens == 6


def test_openai_passthrough_forwards_fields_the_upstream_understands(fresh: Stack) -> None:
    completion = fresh.openai_client().chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "json please"}],
        response_format={"type": "json_object"},
        seed=7,
        n=1,
        parallel_tool_calls=False,
        tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        logprobs=True,
        frequency_penalty=0.1,
    )
    assert completion.choices[0].message.content == "Hello from the fake upstream."
    body = fresh.local.last.body
    assert body["response_format"] == {"type": "json_object"}
    assert body["seed"] == 7
    assert body["n"] == 1
    assert body["parallel_tool_calls"] is False
    assert body["logprobs"] is True
    assert body["frequency_penalty"] == 0.1
    assert body["model"] == "qwen-fake"
    assert "profile" not in body


def test_openai_passthrough_stream_with_usage(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="abcdefghij", usage=Usage(input_tokens=3, output_tokens=10)))
    chunks = list(
        fresh.openai_client().chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "abcdefghij"
    usage = [c.usage for c in chunks if c.usage is not None]
    assert len(usage) == 1
    assert usage[0].completion_tokens == 10
    assert fresh.local.last.body["stream_options"] == {"include_usage": True}


def test_openai_passthrough_stream_asks_upstream_for_usage_but_hides_it(fresh: Stack) -> None:
    chunks = list(
        fresh.openai_client().chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake upstream."
    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    assert fresh.local.last.body["stream_options"] == {"include_usage": True}


def test_streams_ended_by_done_leave_the_upstream_connection_reusable(fresh: Stack) -> None:
    # Closing a response before its body's end drops the connection: a TCP connect per request.
    client = fresh.openai_client()
    for _ in range(6):
        chunks = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True
        )
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    ports = {call.client_port for call in fresh.local.calls()}
    assert len(fresh.local.calls()) == 6
    assert len(ports) <= 2  # one connection per worker at most


def test_an_upstream_slow_to_end_its_body_after_done_does_not_hold_the_client(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="done here", linger_s=20))
    began = time.monotonic()
    chunks = fresh.openai_client().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "done here"
    assert time.monotonic() - began < 10


def test_openai_passthrough_reasoning_kept(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="4", reasoning="2+2"))
    response = httpx.post(
        f"{fresh.gateway.base_url}/v1/chat/completions",
        headers={"authorization": f"Bearer {CLIENT_KEY}"},
        json={"model": "m", "messages": [{"role": "user", "content": "2+2"}]},
        timeout=30,
    )
    assert response.status_code == 200
    message = response.json()["choices"][0]["message"]
    assert message["content"] == "4"
    assert fresh.local.last.headers.get("authorization") is None  # ollama has no api_key_env


def test_body_profile_is_never_sent_upstream(fresh: Stack) -> None:
    response = httpx.post(
        f"{fresh.gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY},
        json={
            "model": MODEL,
            "max_tokens": 8,
            "profile": "claude",
            "messages": [{"role": "user", "content": "x"}],
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert "profile" not in fresh.claude.last.body
    assert response.headers["x-coderouter-profile"] == "claude"


def test_double_v1_path_is_served(fresh: Stack) -> None:
    response = httpx.post(
        f"{fresh.gateway.base_url}/v1/v1/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}]},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json()["object"] == "chat.completion"


def test_a_cookie_an_upstream_sets_is_never_sent_on_a_later_request(fresh: Stack) -> None:
    # One upstream client serves every caller: what one answer sets must not reach the next request.
    fresh.local.queue(Failure(400, "refused", headers={"set-cookie": "upstream_session=alice; Path=/"}))
    client = fresh.openai_client("local")
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "one"}])
    fresh.local.queue(Reply(text="fine"))
    answer = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "two"}])
    assert answer.choices[0].message.content == "fine"
    [first, second] = fresh.local.calls()
    assert "set-cookie" not in {name.lower() for name in first.headers}
    assert "cookie" not in {name.lower() for name in second.headers}


# Whole answers as real upstreams write them: nulls and fields the gateway's models do not declare.
_ANTHROPIC_ANSWER = {
    "id": "msg_as_written",
    "type": "message",
    "role": "assistant",
    "model": "claude-fake",
    "content": [{"type": "text", "text": "as written", "citations": None}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 3, "output_tokens": 2, "server_tool_use": None, "service_tier": "standard"},
    "container": None,
}
_OPENAI_ANSWER = {
    "id": "chatcmpl-as-written",
    "object": "chat.completion",
    "created": 1_700_000_000,
    "model": "qwen-fake",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "as written", "refusal": None, "annotations": []},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    "system_fingerprint": None,
}
_WHOLE_PASSTHROUGHS = [
    pytest.param("/v1/messages", "claude", _ANTHROPIC_ANSWER, id="anthropic"),
    pytest.param("/v1/chat/completions", "local", _OPENAI_ANSWER, id="openai"),
]


def _ask_whole(fresh: Stack, path: str, profile: str) -> httpx.Response:
    return httpx.post(
        f"{fresh.gateway.base_url}{path}",
        headers={"x-api-key": CLIENT_KEY, "x-coderouter-profile": profile},
        json={"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": "x"}]},
        timeout=30,
    )


@pytest.mark.parametrize(("path", "profile", "answer"), _WHOLE_PASSTHROUGHS)
def test_a_whole_passthrough_answer_reaches_the_client_as_the_upstream_wrote_it(
    fresh: Stack, path: str, profile: str, answer: dict[str, object]
) -> None:
    fresh.upstream(profile).queue(Failure(200, raw_body=json.dumps(answer)))
    response = _ask_whole(fresh, path, profile)
    assert response.status_code == 200, response.text
    assert response.json() == answer


@pytest.mark.parametrize(("path", "profile", "answer"), _WHOLE_PASSTHROUGHS)
def test_a_whole_passthrough_answer_of_another_shape_is_refused(
    fresh: Stack, path: str, profile: str, answer: dict[str, object]
) -> None:
    malformed = {**answer, "content": 5, "choices": "none"}
    fresh.upstream(profile).queue(Failure(200, raw_body=json.dumps(malformed)))
    response = _ask_whole(fresh, path, profile)
    assert response.status_code == 502, response.text
    body = response.json()
    envelope = body["error"]  # both protocols put the message under "error"
    assert body.get("type", "error") == "error"
    assert "answered an unexpected shape" in envelope["message"]


def test_an_anthropic_answer_with_a_block_type_that_is_not_a_string_is_refused(fresh: Stack) -> None:
    answer = {**_ANTHROPIC_ANSWER, "content": [{"type": {"nested": "text"}, "text": "hi"}]}
    fresh.upstream("claude").queue(Failure(200, raw_body=json.dumps(answer)))
    response = _ask_whole(fresh, "/v1/messages", "claude")
    assert response.status_code == 502, response.text
    assert "answered an unexpected shape" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "profile", "answer", "filled"),
    [
        pytest.param(
            "/v1/messages",
            "claude",
            {"id": "msg_partial", "model": "claude-fake", "content": [{"type": "text", "text": "hi"}]},
            {"type": "message", "role": "assistant", "stop_reason": None, "stop_sequence": None},
            id="anthropic",
        ),
        pytest.param(
            "/v1/chat/completions",
            "local",
            {"id": "chatcmpl-partial", "choices": [{"message": {"role": "assistant", "content": "hi"}}]},
            {"object": "chat.completion"},
            id="openai",
        ),
    ],
)
def test_a_whole_passthrough_answer_missing_fields_gets_them_filled(
    fresh: Stack, path: str, profile: str, answer: dict[str, object], filled: dict[str, object]
) -> None:
    # A local server's terse answer: clients still get the fields the protocol always has.
    fresh.upstream(profile).queue(Failure(200, raw_body=json.dumps(answer)))
    response = _ask_whole(fresh, path, profile)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.items() >= filled.items()
    if profile == "local":
        assert body["choices"][0]["finish_reason"] is None
        assert body["choices"][0]["index"] == 0
