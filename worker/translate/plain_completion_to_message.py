"""A plain chat completion -> the Anthropic message, dict to dict.

For a completion the caller found plain (choices of text and tool calls, plain-int usage): the same
message :func:`openai_completion_to_anthropic` makes from the validated, filtered and repaired
model, dumped, without building or dumping a model. Thinking, then text (or the refusal), then
tool_use blocks; one empty text block if none. Only ``choices[0]`` is read.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import tool_input
from coderouter_supervisor.worker.translate.output_filters import OutputFilterName
from coderouter_supervisor.worker.translate.plain_completion_reading import CompletionSaid, completion_said
from coderouter_supervisor.worker.translate.usage import TokenUsage, anthropic_usage_fields

_NO_FUNCTION: dict[str, Any] = {}


def _content(said: CompletionSaid) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if said.reasoning:
        # An empty signature marks synthesized thinking: never sent on to Anthropic.
        blocks.append({"type": "thinking", "thinking": said.reasoning, "signature": ""})
    if said.text:
        blocks.append({"type": "text", "text": said.text})
    for call in said.calls:
        function = call.get("function", _NO_FUNCTION)
        blocks.append(
            {
                "type": "tool_use",
                "id": tool_use_id(call.get("id")),
                "name": function.get("name", ""),
                "input": tool_input(function.get("arguments", "")),
            }
        )
    return blocks or [{"type": "text", "text": ""}]


def plain_completion_to_message(
    payload: dict[str, Any],
    *,
    requested_model: str,
    usage: TokenUsage | None,
    declared: Collection[str],
    filters: Sequence[OutputFilterName],
) -> dict[str, Any] | None:
    """The message's wire dict for the plain completion ``payload`` (read, never changed); None
    when its text holds tool calls to repair, which the model path does. ``usage`` is the
    completion's (None: it reported none), ``declared`` the tools text-written calls may name,
    ``filters`` the provider's."""
    said = completion_said(payload, declared, filters)
    if said is None:
        return None
    return {
        "id": anthropic_message_id(payload.get("id")),
        "type": "message",
        "role": "assistant",
        "model": payload.get("model") or requested_model,
        "content": _content(said),
        "stop_reason": said.stop_reason,
        "usage": anthropic_usage_fields(usage),
        "stop_sequence": None,  # the model's dump sends the null stop sequence last
    }
