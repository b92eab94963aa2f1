from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import ChatCompletionRequest, MessagesRequest
from coderouter_supervisor.worker.translate import (
    openai_request_to_anthropic,
    strip_unsigned_thinking,
    unsupported_openai_fields,
)

BASE: dict[str, Any] = {"model": "gpt-alias", "messages": [{"role": "user", "content": "hi"}]}


def translate(**body: Any) -> dict[str, Any]:
    request = ChatCompletionRequest.model_validate({**BASE, **body})
    return openai_request_to_anthropic(request, model="claude-sonnet")


def test_tool_conversation_with_system_and_developer() -> None:
    wire = translate(
        messages=[
            {"role": "system", "content": "sys"},
            {"role": "developer", "content": [{"type": "text", "text": "dev"}]},
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": "checking",
                "reasoning_content": "synthesized elsewhere",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "w", "arguments": '{"city":"Oslo"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "w", "arguments": '{"city":"Rome"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "cold"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "warm"}]},
            {"role": "user", "content": "thanks"},
        ],
        tools=[{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}],
        tool_choice="required",
        parallel_tool_calls=False,
        max_completion_tokens=1000,
        stop="END",
        temperature=1.7,
        user="u1",
        stream=True,
    )
    assert wire == {
        "model": "claude-sonnet",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "checking"},
                    {"type": "tool_use", "id": "call_1", "name": "w", "input": {"city": "Oslo"}},
                    {"type": "tool_use", "id": "call_2", "name": "w", "input": {"city": "Rome"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "cold"},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "warm"},
                    {"type": "text", "text": "thanks"},
                ],
            },
        ],
        "system": "sys\n\ndev",
        "tools": [{"name": "w", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "max_tokens": 1000,
        "stop_sequences": ["END"],
        "temperature": 1.0,
        "stream": True,
        "metadata": {"user_id": "u1"},
    }
    MessagesRequest.model_validate(wire)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        pytest.param("auto", {"type": "auto"}, id="auto"),
        pytest.param("none", {"type": "none"}, id="none"),
        pytest.param("required", {"type": "any"}, id="required"),
        pytest.param(
            {"type": "function", "function": {"name": "w"}}, {"type": "tool", "name": "w"}, id="named"
        ),
    ],
)
def test_tool_choice(choice: Any, expected: dict[str, Any]) -> None:
    tools = [{"type": "function", "function": {"name": "w"}}]
    assert translate(tools=tools, tool_choice=choice)["tool_choice"] == expected


def test_images_and_defaults() -> None:
    wire = translate(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                ],
            }
        ]
    )
    assert wire["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
        {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
    ]
    assert wire["max_tokens"] == 4096


@pytest.mark.parametrize(
    ("effort", "max_tokens", "thinking"),
    [
        pytest.param("low", 8000, {"type": "enabled", "budget_tokens": 2048}, id="low"),
        pytest.param("high", 32000, {"type": "enabled", "budget_tokens": 24576}, id="high"),
        pytest.param("high", 4000, None, id="budget-does-not-fit"),
        pytest.param("minimal", 8000, None, id="minimal"),
    ],
)
def test_reasoning_effort_to_thinking(effort: str, max_tokens: int, thinking: dict[str, Any] | None) -> None:
    assert translate(reasoning_effort=effort, max_tokens=max_tokens).get("thinking") == thinking


def test_response_format_json_schema_and_unsupported_fields() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    wire = translate(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}})
    assert wire["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    request = ChatCompletionRequest.model_validate(
        {**BASE, "n": 2, "seed": 1, "logit_bias": {"1": 1}, "response_format": {"type": "json_object"}}
    )
    assert unsupported_openai_fields(request) == ("n", "seed", "logit_bias", "response_format")
    assert unsupported_openai_fields(ChatCompletionRequest.model_validate({**BASE, "n": 1})) == ()


def test_unsigned_thinking_is_stripped_before_anthropic() -> None:
    request = MessagesRequest.model_validate(
        {
            "model": "m",
            "max_tokens": 10,
            "messages": [
                {"role": "user", "content": "q"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "local", "signature": ""},
                        {"type": "thinking", "thinking": "real", "signature": "sig"},
                    ],
                },
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "only", "signature": ""}]},
            ],
        }
    )
    cleaned = strip_unsigned_thinking(request).to_wire()
    assert cleaned["messages"][1]["content"] == [{"type": "thinking", "thinking": "real", "signature": "sig"}]
    assert cleaned["messages"][2]["content"] == [{"type": "text", "text": ""}]
    assert request.to_wire()["messages"][1]["content"][0]["thinking"] == "local"
    untouched = MessagesRequest.model_validate(
        {"model": "m", "max_tokens": 1, "messages": [BASE["messages"][0]]}
    )
    assert strip_unsigned_thinking(untouched) is untouched
