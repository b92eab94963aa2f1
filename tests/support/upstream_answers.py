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


def anthropic_message(*content: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A whole Anthropic message of ``content``, ``fields`` replacing its defaults."""
    whole = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": list(content),
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 30, "cache_read_input_tokens": 0},
    }
    return whole | fields
