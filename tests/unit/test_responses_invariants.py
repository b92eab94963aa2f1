"""Invariants of the Responses translation over generated traffic (seeded, so a failure reproduces).

Whatever the split of an upstream stream into chunks, the client's accumulated Response holds the
same text and every tool call with its exact arguments; a conversation translated to chat and back,
or to Anthropic, keeps every tool call and result, in order.
"""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import (
    ChatCompletionRequest,
    FunctionCallItem,
    FunctionCallOutputItem,
    MessagesRequest,
    ResponsesRequest,
    ToolResultBlock,
    ToolUseBlock,
)
from coderouter_supervisor.worker.translate import (
    OpenAITarget,
    OpenAIToResponsesStream,
    openai_request_to_responses,
    responses_request_to_anthropic,
    responses_request_to_openai,
)

from support.responses_sdk import sdk_final_response

SEEDS = range(60)


def pieces(rng: random.Random, text: str) -> list[str]:
    cuts = (
        sorted(rng.sample(range(1, len(text)), k=min(len(text) - 1, rng.randint(0, 4))))
        if len(text) > 1
        else []
    )
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def generated_stream(rng: random.Random) -> tuple[list[dict[str, Any]], str, list[tuple[str, str, str]]]:
    text = rng.choice(["", "Done.", "Let me check: ünïcode ✓", "a\nb\n"])
    calls = [
        (
            f"call_{n}",
            rng.choice(["exec_command", "write_stdin", "view_image"]),
            json.dumps({"cmd": f"echo {n}"}),
        )
        for n in range(rng.randint(0, 3))
    ]
    chunks: list[dict[str, Any]] = [
        {"choices": [{"delta": {"content": piece}}]} for piece in pieces(rng, text)
    ]
    for index, (call_id, name, arguments) in enumerate(calls):
        parts = pieces(rng, arguments)
        first = {"index": index, "id": call_id, "function": {"name": name, "arguments": parts[0]}}
        chunks.append({"choices": [{"delta": {"tool_calls": [first]}}]})
        chunks.extend(
            {"choices": [{"delta": {"tool_calls": [{"index": index, "function": {"arguments": part}}]}}]}
            for part in parts[1:]
        )
    chunks.append({"choices": [{"delta": {}, "finish_reason": "tool_calls" if calls else "stop"}]})
    return chunks, text, calls


@pytest.mark.parametrize("seed", SEEDS)
def test_the_client_accumulates_exactly_what_the_upstream_streamed(seed: int) -> None:
    chunks, text, calls = generated_stream(random.Random(seed))
    stream = OpenAIToResponsesStream(model="m", provider="p", created_at=1)
    final = sdk_final_response([event for chunk in chunks for event in stream.feed(chunk)] + stream.finish())
    assert final.output_text == text
    got = [(item.call_id, item.name, item.arguments) for item in final.output if item.type == "function_call"]
    assert got == calls


def generated_conversation(rng: random.Random) -> ResponsesRequest:
    items: list[dict[str, Any]] = [{"role": "user", "content": "start"}]
    for turn in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            items.append({"role": "assistant", "content": [{"type": "output_text", "text": f"turn {turn}"}]})
        calls = [f"call_{turn}_{n}" for n in range(rng.randint(1, 3))]
        items.extend(
            {
                "type": "function_call",
                "call_id": call,
                "name": "exec_command",
                "arguments": json.dumps({"n": call}),
            }
            for call in calls
        )
        items.extend(
            {"type": "function_call_output", "call_id": call, "output": f"out {call}"} for call in calls
        )
        if rng.random() < 0.3:
            items.append({"role": "user", "content": "go on"})
    tools = [{"type": "function", "name": "exec_command", "parameters": {"type": "object"}}]
    return ResponsesRequest.model_validate({"model": "m", "input": items, "tools": tools})


def call_trace(items: Any) -> list[tuple[str, str]]:
    return [
        (item.type, item.call_id)
        for item in items
        if isinstance(item, FunctionCallItem | FunctionCallOutputItem)
    ]


@pytest.mark.parametrize("seed", SEEDS)
def test_translations_keep_every_tool_call_and_result(seed: int) -> None:
    request = generated_conversation(random.Random(seed))
    expected = call_trace(request.input)
    chat = ChatCompletionRequest.model_validate(
        responses_request_to_openai(request, OpenAITarget(model="m")).body
    )
    back = ResponsesRequest.model_validate(openai_request_to_responses(chat, model="m"))
    assert call_trace(back.input) == expected
    anthropic = MessagesRequest.model_validate(responses_request_to_anthropic(request, model="c"))
    blocks = [
        block for turn in anthropic.messages if isinstance(turn.content, list) for block in turn.content
    ]
    trace = [
        ("function_call", block.id)
        if isinstance(block, ToolUseBlock)
        else ("function_call_output", block.tool_use_id)
        for block in blocks
        if isinstance(block, ToolUseBlock | ToolResultBlock)
    ]
    assert trace == expected
    # Anthropic alternates roles, and each result follows its call's turn.
    roles = [turn.role for turn in anthropic.messages]
    assert all(a != b for a, b in itertools.pairwise(roles))
