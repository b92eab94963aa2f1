"""The openai SDK through the gateway to an Anthropic upstream."""

from __future__ import annotations

import json

from support.fake_upstream import Failure, Reply, ToolCall, Usage
from support.ingress import events
from support.stack import CLIENT_KEY, PROVIDER_KEY, Stack

MODEL = "gpt-4o"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def test_text_non_stream(fresh: Stack) -> None:
    fresh.claude.queue(Reply(text="Bonjour", usage=Usage(input_tokens=11, output_tokens=2)))
    completion = fresh.openai_client("claude").chat.completions.create(
        model=MODEL,
        messages=[{"role": "developer", "content": "Be French."}, {"role": "user", "content": "hello"}],
        max_tokens=50,
    )
    assert completion.choices[0].message.content == "Bonjour"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 11
    assert completion.usage.completion_tokens == 2
    sent = fresh.claude.last
    assert sent.path == "/v1/messages"
    assert sent.body["model"] == "claude-fake"
    assert sent.body["max_tokens"] == 50
    assert "Be French." in json.dumps(sent.body["system"])
    assert [m["role"] for m in sent.body["messages"]] == ["user"]


def test_stream_with_include_usage(fresh: Stack) -> None:
    fresh.claude.queue(
        Reply(text="one two three four", usage=Usage(input_tokens=9, output_tokens=4, cache_read_tokens=5))
    )
    stream = fresh.openai_client("claude").chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "count"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three four"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage_chunks = [c for c in chunks if c.usage is not None]
    assert len(usage_chunks) == 1
    assert usage_chunks[0].choices == []
    usage = usage_chunks[0].usage
    assert usage is not None
    assert usage.completion_tokens == 4
    assert usage.prompt_tokens == 14  # OpenAI counts cached prompt tokens inside prompt_tokens
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 5


def test_stream_without_include_usage_has_no_usage_chunk(fresh: Stack) -> None:
    stream = fresh.openai_client("claude").chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    chunks = list(stream)
    assert chunks
    assert all(c.usage is None for c in chunks)


def test_streamed_tool_calls(fresh: Stack) -> None:
    calls = (ToolCall("get_weather", {"city": "Paris"}), ToolCall("get_weather", {"city": "Tōkyō"}))
    fresh.claude.queue(Reply(text="", tool_calls=calls, chunk_chars=4))
    stream = fresh.openai_client("claude").chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "weather in Paris and Tokyo"}],
        tools=[WEATHER],  # type: ignore[list-item]
        tool_choice="required",
        parallel_tool_calls=True,
        stream=True,
    )
    names: dict[int, str] = {}
    arguments: dict[int, str] = {}
    ids: dict[int, str] = {}
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for delta in choice.delta.tool_calls or []:
            if delta.id:
                ids[delta.index] = delta.id
            if delta.function and delta.function.name:
                names[delta.index] = delta.function.name
            if delta.function and delta.function.arguments:
                arguments[delta.index] = arguments.get(delta.index, "") + delta.function.arguments
    assert names == {0: "get_weather", 1: "get_weather"}
    assert [json.loads(arguments[i]) for i in (0, 1)] == [{"city": "Paris"}, {"city": "Tōkyō"}]
    assert len(set(ids.values())) == 2
    assert finish == "tool_calls"
    sent = fresh.claude.last.body
    assert sent["tools"][0]["name"] == "get_weather"
    assert sent["tools"][0]["input_schema"]["required"] == ["city"]
    assert sent["tool_choice"]["type"] == "any"


def test_tool_history_round_trip_non_stream(fresh: Stack) -> None:
    fresh.claude.queue(Reply(text="It is sunny."))
    completion = fresh.openai_client("claude").chat.completions.create(
        model=MODEL,
        tools=[WEATHER],  # type: ignore[list-item]
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 20C"},
        ],
    )
    assert completion.choices[0].message.content == "It is sunny."
    messages = fresh.claude.last.body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    tool_use = next(b for b in messages[1]["content"] if b["type"] == "tool_use")
    assert tool_use == {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Oslo"}}
    result = next(b for b in messages[2]["content"] if b["type"] == "tool_result")
    assert result["tool_use_id"] == "call_1"
    assert "sunny, 20C" in json.dumps(result["content"])


def test_non_stream_tool_call_and_reasoning(fresh: Stack) -> None:
    fresh.claude.queue(
        Reply(text="", reasoning="need weather", tool_calls=(ToolCall("get_weather", {"city": "Rome"}),))
    )
    completion = fresh.openai_client("claude").chat.completions.create(
        model=MODEL,
        tools=[WEATHER],
        messages=[{"role": "user", "content": "Rome?"}],  # type: ignore[list-item]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "Rome"}  # type: ignore[union-attr]


def test_provider_key_goes_upstream_client_key_does_not(fresh: Stack) -> None:
    fresh.openai_client("claude").chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "x"}]
    )
    sent = fresh.claude.last
    assert sent.headers["x-api-key"] == PROVIDER_KEY
    assert "authorization" not in sent.headers
    assert CLIENT_KEY not in json.dumps(sent.headers) + json.dumps(sent.body)
    assert sent.headers["anthropic-version"]


def test_stop_and_sampling_fields(fresh: Stack) -> None:
    fresh.openai_client("claude").chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "x"}],
        stop=["STOP"],
        temperature=0.5,
        top_p=0.8,
        max_completion_tokens=77,
        user="bob",
    )
    body = fresh.claude.last.body
    assert body["stop_sequences"] == ["STOP"]
    assert body["temperature"] == 0.5
    assert body["top_p"] == 0.8
    assert body["max_tokens"] == 77
    assert body["metadata"] == {"user_id": "bob"}


def test_fields_without_an_anthropic_equivalent_are_dropped_and_said(fresh: Stack) -> None:
    fresh.claude.queue(Reply(text="ok"))
    fresh.local.queue(Reply(text="ok"))
    for profile in ("claude", "local"):
        fresh.openai_client(profile).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=20, seed=7, logprobs=True
        )
    assert "seed" not in fresh.claude.last.body
    assert fresh.local.last.body["seed"] == 7
    dropped = events(fresh.gateway, "request-fields-dropped")
    assert [(e["fields"], e["reason"]) for e in dropped] == [
        (["seed", "logprobs"], "no Anthropic equivalent")
    ]


def test_a_lone_surrogate_an_upstream_escaped_comes_back_escaped_whole_and_streamed(fresh: Stack) -> None:
    # JSON may escape half a surrogate pair ("\ud800"); it has no UTF-8, and encoding it was a 500
    # for a whole answer and a cut stream.
    text = "ok \ud800 then \U0001f600"
    answer = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-fake",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    fresh.claude.queue(Failure(200, raw_body=json.dumps(answer)))  # json.dumps escapes it as "\ud800"
    completion = fresh.openai_client("claude").chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=50
    )
    assert completion.choices[0].message.content == text
    fresh.claude.queue(Reply(text=text, chunk_chars=3))
    stream = fresh.openai_client("claude").chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], max_tokens=50, stream=True
    )
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert streamed == text
