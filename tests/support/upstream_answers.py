"""Upstream whole answers for checks that a quick path and the model agree: made, and changed one
field at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

TEXT = {"type": "text", "text": "hello"}
ODD_VALUES: list[Any] = [None, 5, 1.5, True, "s", "assistant", [], {}, [TEXT], {"type": "text"}]


def mutations(value: Any) -> Iterator[Any]:
    """``value`` with each field at any depth missing, set to an odd value, or given a sibling."""
    yield from ODD_VALUES
    if isinstance(value, dict):
        yield {**value, "extra_field": None}
        for key, inner in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for changed in mutations(inner):
                yield {**value, key: changed}
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            for changed in mutations(inner):
                yield [*value[:index], changed, *value[index + 1 :]]


MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m",
    "content": [],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 30, "cache_read_input_tokens": 0},
}
COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "m",
    "choices": [],
    "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42},
}
RESPONSES_USAGE: dict[str, Any] = {
    "input_tokens": 50,
    "input_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 0},
    "output_tokens": 9,
    "output_tokens_details": {"reasoning_tokens": 3},
    "total_tokens": 59,
}
RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1700000000,
    "model": "gpt-up",
    "status": "completed",
    "output": [],
    "usage": RESPONSES_USAGE,
    "error": None,
    "incomplete_details": None,
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
}


def anthropic_message(*content: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A whole Anthropic message of ``content``, ``fields`` replacing its defaults."""
    return MESSAGE | {"content": list(content)} | fields


def chat_completion(*messages: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A whole chat completion, a choice per message of ``messages``, ``fields`` replacing its defaults."""
    choices = [
        {"index": index, "message": {"role": "assistant", **said}, "finish_reason": "stop"}
        for index, said in enumerate(messages)
    ]
    return COMPLETION | {"choices": choices} | fields


def responses_object(*output: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A whole Responses answer of ``output``, ``fields`` replacing its defaults."""
    return RESPONSE | {"output": list(output)} | fields
