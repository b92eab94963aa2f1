from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import MessagesRequest
from coderouter_supervisor.worker.translate import OpenAITarget, anthropic_request_to_openai

BASE: dict[str, Any] = {
    "model": "claude-x",
    "max_tokens": 64000,
    "messages": [{"role": "user", "content": "hi"}],
}


def translate(target: OpenAITarget | None = None, **body: Any) -> dict[str, Any]:
    request = MessagesRequest.model_validate({**BASE, **body})
    return anthropic_request_to_openai(request, target or OpenAITarget(model="qwen"))


def test_claude_code_tool_round_trip_conversation() -> None:
    wire = translate(
        system=[
            {"type": "text", "text": "billing header"},
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
        ],
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>date</system-reminder>"},
                    {"type": "text", "text": "list files", "cache_control": {"type": "ephemeral"}},
                ],
            },
            {"role": "system", "content": "agent types"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "text", "text": "Running."},
                    {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "Read", "input": {"path": "é"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt", "is_error": False},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_2",
                        "content": [{"type": "text", "text": "no such file"}],
                        "is_error": True,
                        "cache_control": {"type": "ephemeral"},
                    },
                    {"type": "text", "text": "go on"},
                ],
            },
        ],
        tools=[
            {"name": "Bash", "description": "Run", "input_schema": {"type": "object", "properties": {}}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
        ],
        metadata={"user_id": "u-1"},
        thinking={"type": "adaptive"},
        output_config={"effort": "high"},
        context_management={"edits": []},
        stream=True,
    )
    assert wire == {
        "model": "qwen",
        "messages": [
            {"role": "system", "content": "billing header\n\nYou are Claude Code.\n\nagent types"},
            {"role": "user", "content": "<system-reminder>date</system-reminder>\nlist files"},
            {
                "role": "assistant",
                "content": "Running.",
                "tool_calls": [
                    {
                        "id": "toolu_1",
                        "type": "function",
                        "function": {"name": "Bash", "arguments": '{"command": "ls"}'},
                    },
                    {
                        "id": "toolu_2",
                        "type": "function",
                        "function": {"name": "Read", "arguments": '{"path": "é"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "toolu_1", "content": "a.txt"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": "Error: no such file"},
            {"role": "user", "content": "go on"},
        ],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": 64000,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "Bash",
                    "description": "Run",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
        "user": "u-1",
    }


def test_system_messages_kept_in_place_when_not_folding() -> None:
    wire = translate(
        OpenAITarget(model="gpt", fold_system_messages=False),
        system="top",
        messages=[
            {"role": "user", "content": "a"},
            {"role": "system", "content": [{"type": "text", "text": "mid"}]},
        ],
    )
    assert wire["messages"] == [
        {"role": "system", "content": "top"},
        {"role": "user", "content": "a"},
        {"role": "system", "content": "mid"},
    ]


def test_images_base64_url_and_inside_tool_results() -> None:
    png = {"type": "base64", "media_type": "image/png", "data": "AAAA"}
    wire = translate(
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t",
                        "content": [{"type": "image", "source": png}],
                    },
                    {"type": "text", "text": "look"},
                    {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}},
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": "x"},
                    },
                ],
            }
        ]
    )
    assert wire["messages"] == [
        {"role": "tool", "tool_call_id": "t", "content": ""},
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                {"type": "text", "text": "[application/pdf attached, not readable by this model]"},
            ],
        },
    ]


@pytest.mark.parametrize(
    ("choice", "expected", "parallel"),
    [
        pytest.param({"type": "auto"}, "auto", None, id="auto"),
        pytest.param({"type": "any"}, "required", None, id="any"),
        pytest.param({"type": "none"}, "none", None, id="none"),
        pytest.param(
            {"type": "tool", "name": "Bash"},
            {"type": "function", "function": {"name": "Bash"}},
            None,
            id="tool",
        ),
        pytest.param({"type": "auto", "disable_parallel_tool_use": True}, "auto", False, id="no-parallel"),
    ],
)
def test_tool_choice(choice: dict[str, Any], expected: Any, parallel: bool | None) -> None:
    wire = translate(tools=[{"name": "Bash", "input_schema": {"type": "object"}}], tool_choice=choice)
    assert wire["tool_choice"] == expected
    assert wire.get("parallel_tool_calls") == parallel


def test_tool_choice_without_tools_is_not_sent() -> None:
    assert "tool_choice" not in translate(tool_choice={"type": "any"})


@pytest.mark.parametrize(
    ("target", "thinking", "output_config", "expected"),
    [
        pytest.param("none", {"type": "enabled", "budget_tokens": 2048}, None, {}, id="no-control"),
        pytest.param(
            "reasoning_effort",
            {"type": "enabled", "budget_tokens": 2048},
            None,
            {"reasoning_effort": "low"},
            id="low",
        ),
        pytest.param(
            "reasoning_effort",
            {"type": "enabled", "budget_tokens": 8000},
            None,
            {"reasoning_effort": "medium"},
            id="medium",
        ),
        pytest.param(
            "reasoning_effort",
            {"type": "enabled", "budget_tokens": 31999},
            None,
            {"reasoning_effort": "high"},
            id="high",
        ),
        pytest.param(
            "reasoning_effort",
            {"type": "adaptive"},
            {"effort": "max"},
            {"reasoning_effort": "high"},
            id="adaptive-effort",
        ),
        pytest.param(
            "reasoning_effort", {"type": "adaptive"}, None, {"reasoning_effort": "medium"}, id="adaptive"
        ),
        pytest.param("reasoning_effort", {"type": "disabled"}, None, {}, id="disabled"),
        pytest.param(
            "openrouter",
            {"type": "enabled", "budget_tokens": 5000},
            None,
            {"reasoning": {"max_tokens": 5000}},
            id="openrouter-budget",
        ),
        pytest.param(
            "openrouter",
            {"type": "adaptive"},
            {"effort": "low"},
            {"reasoning": {"effort": "low"}},
            id="openrouter-effort",
        ),
        pytest.param(
            "chat_template_kwargs",
            {"type": "adaptive"},
            None,
            {"chat_template_kwargs": {"enable_thinking": True}},
            id="template-on",
        ),
        pytest.param(
            "chat_template_kwargs",
            {"type": "disabled"},
            None,
            {"chat_template_kwargs": {"enable_thinking": False}},
            id="template-off",
        ),
    ],
)
def test_thinking_maps_to_the_targets_reasoning_control(
    target: Any, thinking: dict[str, Any], output_config: dict[str, Any] | None, expected: dict[str, Any]
) -> None:
    extra = {"output_config": output_config} if output_config else {}
    wire = translate(OpenAITarget(model="m", reasoning_control=target), thinking=thinking, **extra)
    found = {
        key: wire[key] for key in ("reasoning_effort", "reasoning", "chat_template_kwargs") if key in wire
    }
    assert found == expected


def test_sampling_stop_and_max_tokens_clamped_into_the_right_field() -> None:
    wire = translate(
        OpenAITarget(
            model="o4", max_tokens_cap=4096, max_tokens_field="max_completion_tokens", send_top_k=True
        ),
        temperature=0.2,
        top_p=0.9,
        top_k=40,
        stop_sequences=["END"],
    )
    assert wire["max_completion_tokens"] == 4096
    assert "max_tokens" not in wire
    assert (wire["temperature"], wire["top_p"], wire["top_k"], wire["stop"]) == (0.2, 0.9, 40, ["END"])
    assert "top_k" not in translate(top_k=40)


def test_thinking_replayed_as_reasoning_content_when_asked() -> None:
    assistant = {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "plan", "signature": ""},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "tool_use", "id": "t1", "name": "f", "input": {}},
        ],
    }
    messages = [{"role": "user", "content": "q"}, assistant]
    replayed = translate(OpenAITarget(model="deepseek", replay_reasoning=True), messages=messages)
    assert replayed["messages"][1] == {
        "role": "assistant",
        "tool_calls": [{"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        "reasoning_content": "plan",
    }
    dropped = translate(messages=messages)
    assert "reasoning_content" not in dropped["messages"][1]


def test_unknown_anthropic_fields_never_reach_an_openai_upstream() -> None:
    wire = translate(context_management={"edits": []}, output_config={"effort": "high"}, service_tier="auto")
    assert set(wire) == {"model", "messages", "max_tokens"}
