"""A plain Responses answer -> the Anthropic message or the chat completion, dict to dict.

For a response the caller found plain (its items and usage of the types the model wants): the same
message :func:`response_to_anthropic_message` makes from the validated model, filtered and dumped
(and the completion :func:`response_to_openai_completion` makes, made from that message as the
model path makes it), without building or dumping a model. The rules are those of
:mod:`.response_to_message`; ids, tool names and inputs, stop reasons and usage come from the same
helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coderouter_supervisor.worker.protocol import StopReason
from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import tool_input
from coderouter_supervisor.worker.translate.output_filters import OutputFilterName, apply_filters
from coderouter_supervisor.worker.translate.plain_message_to_completion import completion_of_blocks
from coderouter_supervisor.worker.translate.response_to_message import stop_reason_for
from coderouter_supervisor.worker.translate.responses_tools import flat_name
from coderouter_supervisor.worker.translate.responses_usage import plain_responses_usage
from coderouter_supervisor.worker.translate.usage import anthropic_usage_fields


def response_blocks(output: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool, bool]:
    """The content blocks (text unfiltered), whether the model refused, whether it called a tool."""
    blocks: list[dict[str, Any]] = []
    refused = called_tool = False
    for item in output:
        kind = item["type"]
        if kind == "reasoning":
            thinking = "\n\n".join(summary["text"] for summary in item.get("summary", ()))
            if thinking:
                blocks.append({"type": "thinking", "thinking": thinking, "signature": ""})
        elif kind == "message":
            for part in item.get("content", ()):
                if part["type"] == "output_text":
                    text = part["text"]
                else:
                    refusal = part.get("refusal")
                    text = refusal if isinstance(refusal, str) else ""
                    refused = refused or part["type"] == "refusal"
                if text:
                    blocks.append({"type": "text", "text": text})
        elif kind == "function_call":
            called_tool = True
            blocks.append(
                {
                    "type": "tool_use",
                    "id": tool_use_id(item["call_id"]),
                    "name": flat_name(item["name"], item.get("namespace")),
                    "input": tool_input(item["arguments"]),
                }
            )
    return blocks or [{"type": "text", "text": ""}], refused, called_tool


def plain_response_to_message(
    payload: dict[str, Any], *, requested_model: str, filters: Sequence[OutputFilterName]
) -> dict[str, Any]:
    """The Anthropic message's wire dict for the plain response ``payload`` (read, never changed);
    ``requested_model`` fills a missing model, ``filters`` (the provider's) pass over its text."""
    blocks, refused, called_tool = response_blocks(payload.get("output", []))
    if filters:
        for block in blocks:
            if block["type"] == "text":
                block["text"] = apply_filters(block["text"], filters)
    usage = payload.get("usage")
    tokens = plain_responses_usage(usage) if usage is not None else None
    return {
        "id": anthropic_message_id(payload["id"]),
        "type": "message",
        "role": "assistant",
        "model": payload.get("model") or requested_model,
        "content": blocks,
        "stop_reason": response_stop_reason(payload, called_tool=called_tool, refused=refused),
        "usage": anthropic_usage_fields(tokens),
        # The model's dump sends the null stop sequence last.
        "stop_sequence": None,
    }


def response_stop_reason(payload: dict[str, Any], *, called_tool: bool, refused: bool) -> StopReason:
    """Why the plain response ``payload`` ended, as Anthropic says it."""
    incomplete = payload.get("incomplete_details")
    reason = incomplete.get("reason") if incomplete else None
    return stop_reason_for(
        payload.get("status", "completed"), reason, called_tool=called_tool, refused=refused
    )


def plain_response_to_completion(payload: dict[str, Any], *, requested_model: str) -> dict[str, Any]:
    """The chat completion's wire dict for the plain response ``payload`` (read, never changed);
    ``requested_model`` fills a missing model. Its ``created`` is the response's ``created_at``."""
    blocks, refused, called_tool = response_blocks(payload.get("output", []))
    usage = payload.get("usage")
    return completion_of_blocks(
        message_id=anthropic_message_id(payload["id"]),
        model=payload.get("model") or requested_model,
        created=payload.get("created_at", 0),
        content=blocks,
        stop_reason=response_stop_reason(payload, called_tool=called_tool, refused=refused),
        usage=plain_responses_usage(usage) if usage is not None else None,
        filters=(),
    )
