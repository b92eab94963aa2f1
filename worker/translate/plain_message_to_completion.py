"""A plain Anthropic message -> the OpenAI chat completion, dict to dict.

For a message of text, thinking and tool-use blocks of their usual fields (the caller checks that):
the same completion :func:`anthropic_message_to_openai` makes from the validated model, dumped, but
without building or dumping a model (a few microseconds instead of tens on every translated answer).
The rules are those of :mod:`.anthropic_response_to_openai`; ids, finish reasons and usage come from
the same helpers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from coderouter_supervisor.worker.translate.ids import completion_id, tool_call_id
from coderouter_supervisor.worker.translate.output_filters import OutputFilterName, apply_filters
from coderouter_supervisor.worker.translate.stop_reasons import finish_reason_from_stop
from coderouter_supervisor.worker.translate.usage import TokenUsage, openai_usage_fields


def _completion_message(content: list[dict[str, Any]], filters: Sequence[OutputFilterName]) -> dict[str, Any]:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in content:
        kind = block["type"]
        if kind == "text":
            texts.append(apply_filters(block["text"], filters) if filters else block["text"])
        elif kind == "thinking":
            reasoning.append(block["thinking"])
        elif kind == "tool_use":
            arguments = json.dumps(block["input"], ensure_ascii=False)
            function = {"name": block["name"], "arguments": arguments}
            calls.append({"id": tool_call_id(block["id"]), "type": "function", "function": function})
    message: dict[str, Any] = {"role": "assistant"}
    if texts:
        message["content"] = "".join(texts)
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    # A null content is still sent (clients read it beside tool calls), after the other fields as
    # the model's dump places it.
    message.setdefault("content", None)
    return message


def completion_of_blocks(
    *,
    message_id: str,
    model: str,
    created: int,
    content: list[dict[str, Any]],
    stop_reason: str | None,
    usage: TokenUsage | None,
    filters: Sequence[OutputFilterName],
) -> dict[str, Any]:
    """The chat completion's wire dict for an Anthropic message of ``content`` blocks (plain ones)
    and the other fields given; ``usage`` None leaves it out."""
    choice = {
        "index": 0,
        "message": _completion_message(content, filters),
        "finish_reason": finish_reason_from_stop(stop_reason),
    }
    completion = {
        "id": completion_id(message_id),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [choice],
    }
    if usage is not None:
        completion["usage"] = openai_usage_fields(usage)
    return completion


def plain_message_to_completion(
    payload: dict[str, Any], *, created: int, usage: TokenUsage, filters: Sequence[OutputFilterName]
) -> dict[str, Any]:
    """The chat completion's wire dict for the plain message ``payload`` (read, never changed);
    ``usage`` is the message's, ``filters`` the provider's output filters."""
    return completion_of_blocks(
        message_id=payload["id"],
        model=payload["model"],
        created=created,
        content=payload["content"],
        stop_reason=payload["stop_reason"],
        usage=usage,
        filters=filters,
    )
