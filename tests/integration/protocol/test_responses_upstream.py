"""An upstream of ``kind: openai_responses``: Responses clients pass through, Anthropic and chat
clients are translated to it (the fake serves the Responses API on ``local``'s ``/v1/responses``)."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest

from support.fake_responses import ENCRYPTED_REASONING
from support.fake_upstream import Failure, Reply, ToolCall, Usage
from support.stack import CLIENT_KEY, PROVIDER_KEY, Stack

pytestmark = pytest.mark.integration

PROFILE = "local-responses"
NAMESPACE = {
    "type": "namespace",
    "name": "multi_agent_v1",
    "tools": [
        {"type": "function", "name": "close_agent", "parameters": {"type": "object", "properties": {}}}
    ],
}
WEB_SEARCH = {"type": "web_search", "external_web_access": False}
PACKED_ANTHROPIC = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [],
    "encrypted_content": "coderouter-anthropic-thinking:eyJ0aGlua2luZyI6ICJ4IiwgInNpZ25hdHVyZSI6ICJzIn0=",
}


def test_responses_request_passes_through_unchanged_but_for_the_model(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="ok"))
    tools: Any = [NAMESPACE, WEB_SEARCH]
    fresh.openai_client(PROFILE).responses.create(
        model="gpt-5-codex",
        input=[
            {"role": "user", "content": "hi"},
            {"type": "reasoning", "id": "rs_0", "summary": [], "encrypted_content": ENCRYPTED_REASONING},
            PACKED_ANTHROPIC,
        ],
        tools=tools,
        store=True,
        previous_response_id="resp_earlier",
        include=["reasoning.encrypted_content"],
        extra_body={"prompt_cache_key": "session-1", "client_metadata": {"turn": "1"}},
    )
    sent = fresh.local.last
    assert sent.path == "/v1/responses"
    assert sent.body["model"] == "gpt-fake-codex"
    assert sent.body["tools"] == tools  # namespace and hosted tools as the client sent them
    assert sent.body["store"] is True and sent.body["previous_response_id"] == "resp_earlier"
    assert sent.body["prompt_cache_key"] == "session-1" and sent.body["client_metadata"] == {"turn": "1"}
    # OpenAI's own encrypted reasoning goes back to it; Anthropic's (packed by the gateway) never does.
    reasoning = [item for item in sent.body["input"] if item.get("type") == "reasoning"]
    assert [item["encrypted_content"] for item in reasoning] == [ENCRYPTED_REASONING]
    assert sent.headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert CLIENT_KEY not in str(sent.headers)


def test_passthrough_stream_relays_the_upstreams_events(fresh: Stack) -> None:
    fresh.local.queue(
        Reply(text="", reasoning="ponder", tool_calls=(ToolCall("exec_command", {"cmd": "ls"}, id="call_7"),))
    )
    with fresh.openai_client(PROFILE).responses.stream(model="gpt-5-codex", input="go") as stream:
        seen = [event.type for event in stream]
        final = stream.get_final_response()
    assert "response.reasoning_summary_text.delta" in seen
    assert "response.function_call_arguments.delta" in seen
    [call] = [item for item in final.output if item.type == "function_call"]
    assert (call.call_id, call.name, json.loads(call.arguments)) == ("call_7", "exec_command", {"cmd": "ls"})
    [reasoning] = [item for item in final.output if item.type == "reasoning"]
    assert reasoning.encrypted_content == ENCRYPTED_REASONING
    assert fresh.local.last.body["stream"] is True


def test_upstream_failure_before_the_first_byte_keeps_its_status_and_wording(fresh: Stack) -> None:
    fresh.local.queue(
        Failure(
            400, "Your input exceeds the context window of this model.", error_type="invalid_request_error"
        )
    )
    with pytest.raises(openai.BadRequestError) as raised:
        fresh.openai_client(PROFILE).responses.create(model="gpt-5-codex", input="hi")
    assert raised.value.status_code == 400
    assert (
        raised.value.code == "context_length_exceeded"
    )  # what Codex reads as "the conversation is too long"
    assert "exceeds the context window" in str(raised.value)


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_chat_client_translated_to_responses(fresh: Stack, streamed: bool) -> None:
    fresh.local.queue(
        Reply(text="", tool_calls=(ToolCall("get_weather", {"city": "Paris"}, id="call_w"),)),
        Reply(text="Sunny.", usage=Usage(input_tokens=20, output_tokens=3)),
    )
    client = fresh.openai_client(PROFILE)
    tools: Any = [
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    messages: Any = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "weather?"}]
    if streamed:
        chunks = list(client.chat.completions.create(model="m", messages=messages, tools=tools, stream=True))
        calls = [c.choices[0].delta.tool_calls for c in chunks if c.choices and c.choices[0].delta.tool_calls]
        assert calls and calls[0] is not None and calls[0][0].function is not None
        assert calls[0][0].function.name == "get_weather"
        call_id = calls[0][0].id
    else:
        first = client.chat.completions.create(model="m", messages=messages, tools=tools)
        assert first.choices[0].finish_reason == "tool_calls"
        [call] = first.choices[0].message.tool_calls or []
        call_id = call.id
    assert call_id == "call_w"
    sent = fresh.local.last
    assert sent.path == "/v1/responses"
    assert sent.body["tools"][0]["name"] == "get_weather"
    second = client.chat.completions.create(
        model="m",
        messages=[
            *messages,
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_w",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_w", "content": "22C and sunny"},
        ],
        tools=tools,
    )
    assert second.choices[0].message.content == "Sunny."
    assert second.usage is not None and second.usage.completion_tokens == 3
    items = fresh.local.last.body["input"]
    [output] = [item for item in items if item.get("type") == "function_call_output"]
    assert output == {**output, "call_id": "call_w", "output": "22C and sunny"}


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_anthropic_client_translated_to_responses(fresh: Stack, streamed: bool) -> None:
    fresh.local.queue(
        Reply(text="Bonjour", reasoning="french it is", usage=Usage(input_tokens=9, output_tokens=2))
    )
    client = fresh.anthropic_client(PROFILE)
    request: Any = {
        "model": "claude-x",
        "max_tokens": 64,
        "system": "Be French.",
        "messages": [{"role": "user", "content": "hello"}],
    }
    if streamed:
        with client.messages.stream(**request) as stream:
            message = stream.get_final_message()
    else:
        message = client.messages.create(**request)
    texts = [block.text for block in message.content if block.type == "text"]
    thinking = [block.thinking for block in message.content if block.type == "thinking"]
    assert texts == ["Bonjour"] and thinking == ["french it is"]
    assert message.usage.output_tokens == 2
    sent = fresh.local.last.body
    assert fresh.local.last.path == "/v1/responses"
    assert sent["max_output_tokens"] == 64
    assert "Be French." in json.dumps(sent)


def test_an_anthropic_clients_stop_sequences_are_left_out_whatever_their_count(fresh: Stack) -> None:
    # Responses has no stop field; five of them once failed the chat form this went through (a 500).
    response = fresh.anthropic_client(PROFILE).messages.with_raw_response.create(
        model="claude-x",
        max_tokens=64,
        stop_sequences=["A1", "B2", "C3", "D4", "E5"],
        messages=[{"role": "user", "content": "hello"}],
    )
    assert response.http_response.status_code == 200
    sent = fresh.local.last.body
    assert fresh.local.last.path == "/v1/responses"
    assert "stop" not in sent and "A1" not in json.dumps(sent)


def test_a_translated_answer_with_an_item_type_that_is_not_a_string_is_refused(fresh: Stack) -> None:
    answer = {"id": "resp_1", "object": "response", "status": "completed", "output": [{"type": ["message"]}]}
    fresh.local.queue(Failure(200, raw_body=json.dumps(answer)))
    with pytest.raises(anthropic.APIStatusError) as raised:
        fresh.anthropic_client(PROFILE).messages.create(
            model="claude-x", max_tokens=8, messages=[{"role": "user", "content": "x"}]
        )
    assert raised.value.status_code == 502
    assert "answered an unexpected shape" in str(raised.value)
