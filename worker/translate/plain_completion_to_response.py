"""A plain chat completion -> the Responses ``Response``, dict to dict.

For a completion the caller found plain (choices of text and tool calls, plain-int usage): the same
response :func:`openai_completion_to_response` makes from the validated, filtered and repaired
model, dumped with the request's echo, but without building or dumping a model. The rules are those
of :mod:`.openai_response_to_anthropic` and :mod:`.message_to_response`; ids, stop reasons, tool
names and arguments, and usage come from the same helpers. Only ``choices[0]`` is read.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.message_to_response import (
    INCOMPLETE_BY_STOP,
    function_call_fields,
)
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import tool_input
from coderouter_supervisor.worker.translate.output_filters import OutputFilterName
from coderouter_supervisor.worker.translate.plain_completion_reading import CompletionSaid, completion_said
from coderouter_supervisor.worker.translate.responses_ids import item_id, response_id
from coderouter_supervisor.worker.translate.responses_tools import ToolNames
from coderouter_supervisor.worker.translate.responses_usage import responses_usage_fields
from coderouter_supervisor.worker.translate.usage import TokenUsage

_NO_FUNCTION: dict[str, Any] = {}


def _output(said: CompletionSaid, names: ToolNames) -> list[dict[str, Any]]:
    """Reasoning, then the text's message, then the calls (thinking, text, tool_use blocks)."""
    items: list[dict[str, Any]] = []
    if said.reasoning:
        # Synthesized thinking carries no signature, so nothing is packed as encrypted content.
        summary = [{"type": "summary_text", "text": said.reasoning}]
        items.append({"type": "reasoning", "id": item_id("reasoning"), "summary": summary})
    if said.text:
        part = {"type": "output_text", "text": said.text, "annotations": []}
        message_id = item_id("message")
        items.append(
            {
                "type": "message",
                "id": message_id,
                "role": "assistant",
                "status": "completed",
                "content": [part],
            }
        )
    for call in said.calls:
        function = call.get("function", _NO_FUNCTION)
        arguments = json.dumps(tool_input(function.get("arguments", "")), ensure_ascii=False)
        call_id = tool_use_id(call.get("id"))
        items.append(function_call_fields(call_id, function.get("name", ""), arguments, names))
    return items


def plain_completion_to_response(
    payload: dict[str, Any],
    *,
    requested_model: str,
    created_at: int,
    usage: TokenUsage | None,
    names: ToolNames,
    declared: Collection[str],
    filters: Sequence[OutputFilterName],
    echo: dict[str, Any],
) -> dict[str, Any] | None:
    """The response's wire dict for the plain completion ``payload`` (read, never changed); None
    when its text holds tool calls to repair, which the model path does. ``usage`` is the
    completion's (None: it reported none), ``names`` map flat tool names back, ``declared`` are
    the tools text-written calls may name, ``filters`` the provider's, ``echo`` the request's
    settings every response repeats."""
    said = completion_said(payload, declared, filters)
    if said is None:
        return None
    incomplete = INCOMPLETE_BY_STOP.get(said.stop_reason)
    response: dict[str, Any] = {
        "id": response_id(anthropic_message_id(payload.get("id"))),
        "object": "response",
        "created_at": created_at,
        "model": payload.get("model") or requested_model,
        "status": "incomplete" if incomplete else "completed",
        "output": _output(said, names),
    }
    if usage is not None:
        response["usage"] = responses_usage_fields(usage)
    if incomplete:
        response["incomplete_details"] = {"reason": incomplete}
    response |= echo
    # Nulls clients read go last, where the model's dump puts them.
    for name in ("error", "incomplete_details", "usage"):
        response.setdefault(name, None)
    return response
