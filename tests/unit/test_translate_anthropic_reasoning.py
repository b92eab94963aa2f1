"""Signed Anthropic thinking survives a Responses client's round trip (tool-use turns need it)."""

from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import (
    Message,
    MessagesRequest,
    ReasoningItem,
    RedactedThinkingBlock,
    ResponsesRequest,
    ThinkingBlock,
    ToolUseBlock,
)
from coderouter_supervisor.worker.translate import (
    ANTHROPIC_REASONING_PREFIX,
    AnthropicToResponsesStream,
    anthropic_message_to_response,
    pack_thinking,
    responses_request_to_anthropic,
    unpack_thinking,
    without_anthropic_reasoning,
)

SIGNED = ThinkingBlock(type="thinking", thinking="I will list the files.", signature="EqQBCkYIBxgC-sig")
REDACTED = RedactedThinkingBlock(type="redacted_thinking", data="EmwKAhgBEgy-redacted")


def reasoning(encrypted: str | None) -> ReasoningItem:
    return ReasoningItem(type="reasoning", id="rs_1", summary=[], encrypted_content=encrypted)


@pytest.mark.parametrize("block", [pytest.param(SIGNED, id="signed"), pytest.param(REDACTED, id="redacted")])
def test_pack_and_unpack(block: ThinkingBlock | RedactedThinkingBlock) -> None:
    packed = pack_thinking(block)
    assert packed is not None
    assert packed.startswith(ANTHROPIC_REASONING_PREFIX)
    assert unpack_thinking(reasoning(packed)) == block


@pytest.mark.parametrize(
    "encrypted",
    [
        pytest.param(None, id="none"),
        pytest.param("gAAAAABopenai-blob", id="openai-encrypted"),
        pytest.param(ANTHROPIC_REASONING_PREFIX + "not base64 json!", id="damaged"),
        pytest.param(ANTHROPIC_REASONING_PREFIX + "W10=", id="not-an-object"),
    ],
)
def test_only_our_intact_blobs_unpack(encrypted: str | None) -> None:
    assert unpack_thinking(reasoning(encrypted)) is None


def test_synthesized_thinking_is_not_packed() -> None:
    assert pack_thinking(ThinkingBlock(type="thinking", thinking="from a local model", signature="")) is None


STREAM: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "content": [], "usage": {}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "I will "}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "list the files."},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": "EqQBCkYIBxgC-sig"},
    },
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "redacted_thinking", "data": REDACTED.data},
    },
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "exec_command", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": '{"cmd":"ls"}'},
    },
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}},
    {"type": "message_stop"},
]


def streamed_output() -> list[dict[str, Any]]:
    stream = AnthropicToResponsesStream(model="m", provider="claude", created_at=1)
    events = [event.to_wire() for wire in STREAM for event in stream.feed(wire)]
    return [event["item"] for event in events if event["type"] == "response.output_item.done"]


def next_turn(output: list[dict[str, Any]], **changes: Any) -> ResponsesRequest:
    """The request Codex sends after a tool call: the output items replayed, then the result."""
    body = {
        "model": "m",
        "input": [
            {"role": "user", "content": "list files"},
            *output,
            {"type": "function_call_output", "call_id": "toolu_1", "output": "a.txt"},
        ],
        "tools": [{"type": "function", "name": "exec_command", "parameters": {"type": "object"}}],
        "reasoning": {"effort": "high"},
        "max_output_tokens": 32000,
    } | changes
    return ResponsesRequest.model_validate(body)


def test_streamed_signed_thinking_goes_back_first_in_the_tool_use_turn() -> None:
    output = streamed_output()
    assert [item["type"] for item in output] == ["reasoning", "reasoning", "function_call"]
    assert output[0]["summary"] == [{"type": "summary_text", "text": "I will list the files."}]
    assert output[1]["summary"] == []
    request = MessagesRequest.model_validate(
        responses_request_to_anthropic(next_turn(output), model="claude-x")
    )
    assistant = request.messages[1]
    assert assistant.role == "assistant"
    assert isinstance(assistant.content, list)
    assert assistant.content[:2] == [SIGNED, REDACTED]
    assert isinstance(assistant.content[2], ToolUseBlock)


def test_without_thinking_the_blocks_are_left_out() -> None:
    request = MessagesRequest.model_validate(
        responses_request_to_anthropic(next_turn(streamed_output(), reasoning=None), model="c")
    )
    assert request.thinking is None
    content = request.messages[1].content
    assert isinstance(content, list)
    assert [block.type for block in content] == ["tool_use"]


def test_a_non_streamed_answer_carries_the_signature_too() -> None:
    message = Message(
        id="msg_1",
        model="claude-x",
        content=[
            SIGNED,
            ToolUseBlock(type="tool_use", id="toolu_1", name="exec_command", input={"cmd": "ls"}),
        ],
        stop_reason="tool_use",
    )
    output = anthropic_message_to_response(message, created_at=1).to_wire()["output"]
    request = MessagesRequest.model_validate(
        responses_request_to_anthropic(next_turn(output), model="claude-x")
    )
    content = request.messages[1].content
    assert isinstance(content, list)
    assert content[0] == SIGNED


def test_a_responses_upstream_never_gets_our_blobs() -> None:
    openai_reasoning = {"type": "reasoning", "id": "rs_o", "summary": [], "encrypted_content": "gAAAA-openai"}
    request = next_turn([*streamed_output(), openai_reasoning])
    cleaned = without_anthropic_reasoning(request)
    assert isinstance(cleaned.input, list)
    kept = [item for item in cleaned.input if isinstance(item, ReasoningItem)]
    assert [item.encrypted_content for item in kept] == ["gAAAA-openai"]
    assert isinstance(request.input, list)
    assert len(request.input) == len(cleaned.input) + 2  # the original is left as it was
    plain = ResponsesRequest.model_validate({"model": "m", "input": "hi"})
    assert without_anthropic_reasoning(plain) is plain
