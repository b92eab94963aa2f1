"""A plain Anthropic message -> the Responses ``Response``, dict to dict.

For a message of text, thinking and tool-use blocks of their usual fields (the caller checks that):
the same response :func:`anthropic_message_to_response` makes from the validated, filtered model,
dumped with the request's echo, without building or dumping a model. The rules are those of
:mod:`.message_to_response`; ids, tool names, packed thinking and usage come from the same helpers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from coderouter_supervisor.worker.protocol import ThinkingBlock
from coderouter_supervisor.worker.translate.anthropic_reasoning import pack_thinking
from coderouter_supervisor.worker.translate.message_to_response import (
    INCOMPLETE_BY_STOP,
    function_call_fields,
)
from coderouter_supervisor.worker.translate.output_filters import OutputFilterName, apply_filters
from coderouter_supervisor.worker.translate.responses_ids import item_id, response_id
from coderouter_supervisor.worker.translate.responses_tools import ToolNames
from coderouter_supervisor.worker.translate.responses_usage import responses_usage_fields
from coderouter_supervisor.worker.translate.usage import TokenUsage


def _reasoning_item(block: dict[str, Any], encrypted: bool) -> dict[str, Any] | None:
    text, signature = block["thinking"], block["signature"]
    # A signed block is packed (pack_thinking) so the next turn can give it back to Anthropic.
    if not (text or signature):
        return None
    item: dict[str, Any] = {
        "type": "reasoning",
        "id": item_id("reasoning"),
        "summary": [{"type": "summary_text", "text": text}] if text else [],
    }
    if encrypted and signature:
        item["encrypted_content"] = pack_thinking(
            ThinkingBlock(type="thinking", thinking=text, signature=signature)
        )
    return item


def _output(
    content: list[dict[str, Any]], names: ToolNames, filters: Sequence[OutputFilterName], encrypted: bool
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    first_call: int | None = None
    for block in content:
        kind = block["type"]
        if kind == "thinking":
            reasoning = _reasoning_item(block, encrypted)
            if reasoning is not None:
                items.append(reasoning)
        elif kind == "text":
            text = apply_filters(block["text"], filters) if filters else block["text"]
            if text:
                parts.append({"type": "output_text", "text": text, "annotations": []})
        elif kind == "tool_use":
            first_call = len(items) if first_call is None else first_call
            arguments = json.dumps(block["input"], ensure_ascii=False)
            items.append(function_call_fields(block["id"], block["name"], arguments, names))
    if parts:
        # One message holds the answer's text; it comes before the calls, as the model wrote it.
        message = {"type": "message", "id": item_id("message"), "role": "assistant", "status": "completed"}
        items.insert(len(items) if first_call is None else first_call, message | {"content": parts})
    return items


def plain_message_to_response(
    payload: dict[str, Any],
    *,
    created_at: int,
    usage: TokenUsage,
    names: ToolNames,
    filters: Sequence[OutputFilterName],
    encrypted_reasoning: bool,
    echo: dict[str, Any],
) -> dict[str, Any]:
    """The response's wire dict for the plain message ``payload`` (read, never changed); ``usage``
    is the message's, ``names`` map flat tool names back, ``filters`` are the provider's,
    ``encrypted_reasoning`` whether signed thinking goes out packed (the request's ``include``),
    ``echo`` the request's settings every response repeats."""
    incomplete = INCOMPLETE_BY_STOP.get(payload["stop_reason"] or "")
    response: dict[str, Any] = {
        "id": response_id(payload["id"]),
        "object": "response",
        "created_at": created_at,
        "model": payload["model"],
        "status": "incomplete" if incomplete else "completed",
        "output": _output(payload["content"], names, filters, encrypted_reasoning),
        "usage": responses_usage_fields(usage),
    }
    if incomplete:
        response["incomplete_details"] = {"reason": incomplete}
    response |= echo
    # Nulls clients read go last, where the model's dump puts them.
    response["error"] = None
    response.setdefault("incomplete_details", None)
    return response
