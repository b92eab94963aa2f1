from __future__ import annotations

from typing import Any, ClassVar

import anthropic
import openai
import pytest
from pydantic import TypeAdapter, ValidationError

from coderouter_supervisor.worker import protocol
from coderouter_supervisor.worker.protocol import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Message,
    MessagesRequest,
    StreamEvent,
    TextBlock,
    ToolResultBlock,
    UnknownBlock,
    UnknownEvent,
    Usage,
)

CLAUDE_CODE_BODY: dict[str, Any] = {
    "model": "claude-opus-4-8",
    "max_tokens": 64000,
    "stream": True,
    "thinking": {"type": "adaptive"},
    "output_config": {"effort": "high"},
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    "metadata": {"user_id": '{"device_id":"ab","session_id":"cd"}'},
    "system": [
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197.123;"},
        {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
    ],
    "tools": [
        {
            "name": "Bash",
            "description": "Run a command",
            "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}},
        }
    ],
    "messages": [
        {
            "role": "user",
            "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
        },
        {"role": "system", "content": "agent types ..."},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "running"},
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": "a.txt",
                    "is_error": False,
                    "cache_control": {"type": "ephemeral"},
                },
                {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": []},
            ],
        },
    ],
}


def test_claude_code_body_round_trips_unchanged() -> None:
    request = MessagesRequest.model_validate(CLAUDE_CODE_BODY)
    assert request.to_wire() == CLAUDE_CODE_BODY
    assert isinstance(request.messages[3].content[1], UnknownBlock)  # type: ignore[index]
    assert isinstance(request.messages[3].content[0], ToolResultBlock)  # type: ignore[index]


@pytest.mark.parametrize(
    ("change", "location"),
    [
        pytest.param({"max_tokens": "many"}, ("max_tokens",), id="max-tokens-type"),
        pytest.param({"max_tokens": -1}, ("max_tokens",), id="max-tokens-negative"),
        pytest.param(
            {"messages": [{"role": "tool", "content": "x"}]}, ("messages", 0, "role"), id="bad-role"
        ),
        pytest.param(
            {"messages": [{"role": "user", "content": [{"type": "tool_use", "id": "x", "name": "n"}]}]},
            ("messages", 0, "content"),
            id="tool-use-without-input",
        ),
        pytest.param({"tool_choice": {"type": "sometimes"}}, ("tool_choice",), id="bad-tool-choice"),
        pytest.param({"thinking": {"type": "enabled"}}, ("thinking",), id="thinking-without-budget"),
    ],
)
def test_requests_are_strict_on_known_fields(change: dict[str, Any], location: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        MessagesRequest.model_validate({**CLAUDE_CODE_BODY, **change})
    assert any(error["loc"][: len(location)] == location for error in caught.value.errors())


def test_missing_max_tokens_is_an_error() -> None:
    body = {key: value for key, value in CLAUDE_CODE_BODY.items() if key != "max_tokens"}
    with pytest.raises(ValidationError):
        MessagesRequest.model_validate(body)


def test_openai_request_keeps_unknown_fields_and_tool_messages() -> None:
    body = {
        "model": "gpt",
        "messages": [
            {"role": "developer", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "input_audio", "x": 1}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
        ],
        "response_format": {"type": "json_object"},
        "seed": 7,
        "logit_bias": {"1": 2},
        "stream_options": {"include_usage": True},
    }
    request = ChatCompletionRequest.model_validate(body)
    wire = request.to_wire()
    assert wire["logit_bias"] == {"1": 2}
    assert wire["seed"] == 7
    assert wire["messages"][1]["content"][1] == {"type": "input_audio", "x": 1}
    # An explicit null means "absent" to the API; it is dropped on the way out.
    assert "content" not in wire["messages"][2]


def test_lenient_upstream_chunk_without_id_created_model() -> None:
    chunk = ChatCompletionChunk.model_validate({"choices": [{"delta": {"content": "x"}}]})
    assert (chunk.id, chunk.created, chunk.model) == (None, None, None)
    assert chunk.choices[0].delta.content == "x"
    completion = ChatCompletion.model_validate(
        {"choices": [{"message": {"tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}}]}
    )
    assert completion.choices[0].message.tool_calls is not None
    assert completion.choices[0].message.tool_calls[0].function.arguments == {"a": 1}


def test_message_emits_null_stop_fields_and_passes_the_sdk() -> None:
    message = Message(id="msg_1", model="m", content=[TextBlock(type="text", text="hi")], usage=Usage())
    wire = message.to_wire()
    assert wire["stop_reason"] is None
    assert wire["stop_sequence"] is None
    anthropic.types.Message.model_validate(wire)


def test_a_model_naming_always_sent_nulls_must_be_one_that_keeps_them() -> None:
    # A plain WireModel has no serializer for always_emit: naming fields there would drop them unseen.
    with pytest.raises(TypeError, match="NullKeepingWireModel"):

        class Stray(protocol.WireModel):
            always_emit: ClassVar[tuple[str, ...]] = ("reason",)

            reason: str | None = None


def test_unknown_stream_events_are_kept() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(StreamEvent)
    event = adapter.validate_python({"type": "brand_new", "x": 1})
    assert isinstance(event, UnknownEvent)
    assert event.to_wire() == {"type": "brand_new", "x": 1}


def test_openai_sdk_accepts_a_minimal_chunk_we_emit() -> None:
    chunk = ChatCompletionChunk.model_validate(
        {"id": "c", "created": 1, "model": "m", "choices": [{"delta": {"content": "x"}}]}
    )
    openai.types.chat.ChatCompletionChunk.model_validate(chunk.to_wire())


def test_public_api_is_pinned() -> None:
    assert set(protocol.__all__) == {name for name in dir(protocol) if not name.startswith("_")} - {
        "annotations",
        "anthropic_content",
        "anthropic_request",
        "anthropic_response",
        "anthropic_stream",
        "envelopes",
        "openai_request",
        "openai_response",
        "request_bounds",
        "responses_errors",
        "responses_request",
        "responses_response",
        "responses_stream",
        "sse",
        "upstream_errors",
        "wire",
    }
    assert "MessagesRequest" in protocol.__all__
    assert "SSEDecoder" in protocol.__all__
