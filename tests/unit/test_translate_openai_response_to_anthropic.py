from __future__ import annotations

from typing import Any

import anthropic
import pytest

from coderouter_supervisor.worker.protocol import ChatCompletion
from coderouter_supervisor.worker.translate import (
    RAW_ARGUMENTS_KEY,
    openai_completion_to_anthropic,
    tool_input,
)


def convert(body: dict[str, Any]) -> dict[str, Any]:
    message = openai_completion_to_anthropic(ChatCompletion.model_validate(body), requested_model="asked")
    wire = message.to_wire()
    anthropic.types.Message.model_validate(wire)
    return wire


def test_reasoning_text_and_tool_calls_with_cached_usage() -> None:
    wire = convert(
        {
            "id": "chatcmpl-9",
            "object": "chat.completion",
            "created": 1,
            "model": "qwen3",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "reasoning_content": "think",
                        "content": "Let me check.",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "Bash", "arguments": '{"a": 1}'},
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
            },
        }
    )
    assert wire == {
        "id": "msg_chatcmpl-9",
        "type": "message",
        "role": "assistant",
        "model": "qwen3",
        "content": [
            {"type": "thinking", "thinking": "think", "signature": ""},
            {"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "call_1", "name": "Bash", "input": {"a": 1}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 40,
            "output_tokens": 20,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 60,
        },
    }


def test_minimal_body_without_ids_or_usage() -> None:
    wire = convert({"choices": [{"message": {"reasoning": "r", "content": None}, "finish_reason": "length"}]})
    assert wire["id"].startswith("msg_")
    assert wire["model"] == "asked"
    assert wire["content"] == [{"type": "thinking", "thinking": "r", "signature": ""}]
    assert wire["stop_reason"] == "max_tokens"


def test_no_choices_gives_one_empty_text_block() -> None:
    wire = convert({"id": "x", "model": "m", "choices": []})
    assert wire["content"] == [{"type": "text", "text": ""}]
    assert wire["stop_reason"] == "end_turn"


def test_refusal() -> None:
    wire = convert({"choices": [{"message": {"refusal": "I can't."}, "finish_reason": "stop"}]})
    assert wire["content"] == [{"type": "text", "text": "I can't."}]
    assert wire["stop_reason"] == "refusal"


def test_tool_call_without_id_gets_one() -> None:
    wire = convert(
        {"choices": [{"message": {"tool_calls": [{"function": {"name": "f", "arguments": {"k": 2}}}]}}]}
    )
    block = wire["content"][0]
    assert block["id"].startswith("toolu_")
    assert block["input"] == {"k": 2}
    assert wire["stop_reason"] == "tool_use"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param('{"a": 1}', {"a": 1}, id="json"),
        pytest.param("", {}, id="empty"),
        pytest.param("  ", {}, id="blank"),
        pytest.param({"a": 1}, {"a": 1}, id="object"),
        pytest.param('{"a": ', {RAW_ARGUMENTS_KEY: '{"a": '}, id="truncated"),
        pytest.param("[1, 2]", {RAW_ARGUMENTS_KEY: "[1, 2]"}, id="not-an-object"),
    ],
)
def test_tool_input(arguments: Any, expected: dict[str, Any]) -> None:
    assert tool_input(arguments) == expected
