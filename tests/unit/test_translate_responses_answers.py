from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from coderouter_supervisor.worker.protocol import ChatCompletion, Message, ResponseObject, ResponseUsage
from coderouter_supervisor.worker.translate import (
    DeclaredName,
    TokenUsage,
    ToolNames,
    anthropic_message_to_response,
    openai_completion_to_response,
    response_to_anthropic_message,
    response_to_openai_completion,
    responses_usage,
    usage_from_responses,
    usage_from_responses_event,
)

NAMES = ToolNames({"multi_agent_v1__close_agent": DeclaredName("close_agent", "multi_agent_v1")})

COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-9",
    "model": "qwen",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": "Closing.",
                "reasoning_content": "think first",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "function": {"name": "multi_agent_v1__close_agent", "arguments": '{"id":3}'},
                    }
                ],
            },
        }
    ],
    "usage": {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 60},
        "completion_tokens_details": {"reasoning_tokens": 8},
    },
}


def test_chat_completion_to_response() -> None:
    completion = ChatCompletion.model_validate(COMPLETION)
    response = openai_completion_to_response(
        completion, requested_model="asked", created_at=5, tool_names=NAMES
    )
    parsed = openai.types.responses.Response.model_validate(response.to_wire())
    assert parsed.id.startswith("resp_")
    assert (parsed.status, parsed.model, parsed.created_at) == ("completed", "qwen", 5)
    assert [item.type for item in parsed.output] == ["reasoning", "message", "function_call"]
    assert parsed.output_text == "Closing."
    reasoning, call = parsed.output[0], parsed.output[2]
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].text == "think first"
    assert call.type == "function_call"
    assert (call.call_id, call.name, call.namespace, call.arguments) == (
        "call_1",
        "close_agent",
        "multi_agent_v1",
        '{"id": 3}',
    )
    assert parsed.usage is not None
    assert (parsed.usage.input_tokens, parsed.usage.output_tokens, parsed.usage.total_tokens) == (
        100,
        20,
        120,
    )
    assert parsed.usage.input_tokens_details.cached_tokens == 60
    assert parsed.usage.output_tokens_details.reasoning_tokens == 8


def test_a_completion_without_usage_answers_null_usage() -> None:
    completion = ChatCompletion.model_validate(
        {"choices": [{"message": {"content": "hi"}, "finish_reason": "length"}]}
    )
    response = openai_completion_to_response(completion, requested_model="asked", created_at=5)
    wire = response.to_wire()
    assert wire["usage"] is None
    assert wire["model"] == "asked"
    assert (wire["status"], wire["incomplete_details"]) == ("incomplete", {"reason": "max_output_tokens"})


def test_anthropic_message_to_response() -> None:
    message = Message.model_validate(
        {
            "id": "msg_1",
            "model": "claude-x",
            "content": [
                {"type": "thinking", "thinking": "consider", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Answer."},
                {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}},
            ],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 10,
                "output_tokens": 4,
                "cache_read_input_tokens": 30,
                "cache_creation_input_tokens": 5,
            },
        }
    )
    response = anthropic_message_to_response(message, created_at=1)
    parsed = openai.types.responses.Response.model_validate(response.to_wire())
    assert [item.type for item in parsed.output] == ["reasoning", "reasoning", "message"]
    assert parsed.output_text == "Answer."
    thinking, redacted = parsed.output[0], parsed.output[1]
    assert thinking.type == redacted.type == "reasoning"
    assert thinking.encrypted_content is not None  # the signature, for the next turn
    assert (redacted.summary, redacted.encrypted_content is not None) == ([], True)
    assert parsed.usage is not None
    assert parsed.usage.input_tokens == 45
    assert parsed.usage.input_tokens_details.cached_tokens == 30
    assert parsed.usage.input_tokens_details.cache_write_tokens == 5


RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1700000000,
    "model": "gpt-5",
    "status": "completed",
    "output": [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "plan"}],
            "encrypted_content": "E",
        },
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Running.", "annotations": []}],
        },
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
        {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "exec_command",
            "arguments": '{"cmd":"ls"}',
        },
    ],
    "usage": {
        "input_tokens": 50,
        "input_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 0},
        "output_tokens": 9,
        "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 59,
    },
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
}


def test_response_to_anthropic_message() -> None:
    message = response_to_anthropic_message(ResponseObject.model_validate(RESPONSE), requested_model="asked")
    parsed = anthropic.types.Message.model_validate(message.to_wire())
    assert [block.type for block in parsed.content] == ["thinking", "text", "tool_use"]
    thinking, tool = parsed.content[0], parsed.content[2]
    assert thinking.type == "thinking"
    assert thinking.signature == ""  # synthesized: never sent on to Anthropic
    assert tool.type == "tool_use"
    assert (tool.id, tool.name, tool.input) == ("call_1", "exec_command", {"cmd": "ls"})
    assert parsed.stop_reason == "tool_use"
    assert (parsed.usage.input_tokens, parsed.usage.cache_read_input_tokens, parsed.usage.output_tokens) == (
        10,
        40,
        9,
    )
    assert "E" not in [getattr(block, "signature", None) for block in parsed.content]


def test_response_to_chat_completion() -> None:
    completion = response_to_openai_completion(
        ResponseObject.model_validate(RESPONSE), requested_model="asked"
    )
    parsed = openai.types.chat.ChatCompletion.model_validate(completion.to_wire())
    choice = parsed.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Running."
    assert choice.message.tool_calls is not None
    assert choice.message.tool_calls[0].id == "call_1"
    assert parsed.created == 1700000000
    assert parsed.usage is not None
    assert (parsed.usage.prompt_tokens, parsed.usage.completion_tokens) == (50, 9)
    assert parsed.usage.completion_tokens_details is not None
    assert parsed.usage.completion_tokens_details.reasoning_tokens == 3


@pytest.mark.parametrize(
    ("changes", "stop_reason"),
    [
        pytest.param(
            {"status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"}, "output": []},
            "max_tokens",
            id="max-output",
        ),
        pytest.param(
            {
                "output": [
                    {
                        "type": "message",
                        "id": "m",
                        "role": "assistant",
                        "content": [{"type": "refusal", "refusal": "I can't."}],
                    }
                ]
            },
            "refusal",
            id="refusal",
        ),
        pytest.param({"output": []}, "end_turn", id="empty"),
    ],
)
def test_response_stop_reasons(changes: dict[str, Any], stop_reason: str) -> None:
    message = response_to_anthropic_message(
        ResponseObject.model_validate(RESPONSE | changes), requested_model="m"
    )
    assert message.stop_reason == stop_reason
    assert message.content  # Anthropic clients expect at least one block


@pytest.mark.parametrize(
    "usage",
    [
        pytest.param(TokenUsage(), id="zero"),
        pytest.param(TokenUsage(input_tokens=5, output_tokens=2), id="plain"),
        pytest.param(
            TokenUsage(
                input_tokens=5,
                output_tokens=2,
                cache_read_tokens=90,
                cache_creation_tokens=7,
                reasoning_tokens=1,
            ),
            id="cached-and-reasoning",
        ),
    ],
)
def test_usage_round_trips(usage: TokenUsage) -> None:
    wire = responses_usage(usage)
    assert wire.total_tokens == usage.total_input_tokens + usage.output_tokens
    assert usage_from_responses(wire) == usage


def test_inconsistent_upstream_usage_is_clamped() -> None:
    usage = ResponseUsage.model_validate(
        {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 50}, "output_tokens": -1}
    )
    assert usage_from_responses(usage) == TokenUsage(cache_read_tokens=10)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            {"type": "response.completed", "response": RESPONSE},
            TokenUsage(input_tokens=10, output_tokens=9, cache_read_tokens=40, reasoning_tokens=3),
            id="completed",
        ),
        pytest.param(
            {"type": "response.incomplete", "response": RESPONSE | {"usage": None}}, None, id="no-usage"
        ),
        pytest.param({"type": "response.output_text.delta", "delta": "x"}, None, id="not-final"),
        pytest.param(
            {"type": "response.completed", "response": {"usage": {"input_tokens": "many"}}}, None, id="bad"
        ),
    ],
)
def test_usage_of_a_relayed_stream(payload: dict[str, Any], expected: TokenUsage | None) -> None:
    assert usage_from_responses_event(payload) == expected
