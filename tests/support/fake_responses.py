"""A :class:`Reply` as the OpenAI Responses API answers it: a whole ``response`` object, or its event
stream. Written from the public API reference, independently of the gateway's own writer, so the
gateway's passthrough and translations are checked against a second rendering of the wire.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from support.fake_upstream import Reply, Usage

_ids = itertools.count(1)
ENCRYPTED_REASONING = "gAAAA-fake-openai-encrypted-reasoning"  # opaque: only its own upstream reads it


def _id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


def responses_usage(usage: Usage) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_creation_tokens
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cache_read_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + usage.output_tokens,
    }


def _items(reply: Reply) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        items.append(
            {
                "type": "reasoning",
                "id": _id("rs"),
                "summary": [{"type": "summary_text", "text": reply.reasoning}],
                "encrypted_content": ENCRYPTED_REASONING,
            }
        )
    if reply.text:
        items.append(
            {
                "type": "message",
                "id": _id("msg"),
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
            }
        )
    for call in reply.tool_calls:
        items.append(
            {
                "type": "function_call",
                "id": _id("fc"),
                "call_id": call.id or _id("call"),
                "name": call.name,
                "arguments": json.dumps(call.arguments),
                "status": "completed",
            }
        )
    return items


def responses_object(reply: Reply, model: str, *, status: str = "completed") -> dict[str, Any]:
    incomplete = reply.stop in ("length", "max_tokens")
    return {
        "id": _id("resp"),
        "object": "response",
        "created_at": 1_700_000_000,
        "model": model,
        "status": "incomplete" if incomplete else status,
        "output": _items(reply),
        "usage": None if reply.omit_usage else responses_usage(reply.usage),
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


def responses_events(reply: Reply, model: str) -> list[dict[str, Any]]:
    """The event sequence for ``reply``; the last one is ``response.completed`` (or ``.incomplete``)."""
    whole = responses_object(reply, model)
    started = {**whole, "status": "in_progress", "output": [], "usage": None}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    for index, item in enumerate(whole["output"]):
        base = {"output_index": index, "item_id": item["id"]}
        if item["type"] == "message":
            text = item["content"][0]["text"]
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": {**item, "content": []}}
            )
            part = {"type": "output_text", "text": "", "annotations": []}
            events.append({"type": "response.content_part.added", **base, "content_index": 0, "part": part})
            for piece in [text[i : i + reply.chunk_chars] for i in range(0, len(text), reply.chunk_chars)]:
                events.append(
                    {"type": "response.output_text.delta", **base, "content_index": 0, "delta": piece}
                )
            events.append({"type": "response.output_text.done", **base, "content_index": 0, "text": text})
            events.append(
                {
                    "type": "response.content_part.done",
                    **base,
                    "content_index": 0,
                    "part": {**part, "text": text},
                }
            )
        elif item["type"] == "function_call":
            events.append(
                {
                    "type": "response.output_item.added",
                    "output_index": index,
                    "item": {**item, "arguments": ""},
                }
            )
            arguments = item["arguments"]
            for piece in [
                arguments[i : i + reply.chunk_chars] for i in range(0, len(arguments), reply.chunk_chars)
            ]:
                events.append({"type": "response.function_call_arguments.delta", **base, "delta": piece})
            events.append({"type": "response.function_call_arguments.done", **base, "arguments": arguments})
        else:
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": {**item, "summary": []}}
            )
            summary = item["summary"][0]["text"]
            events.append(
                {
                    "type": "response.reasoning_summary_part.added",
                    **base,
                    "summary_index": 0,
                    "part": {"type": "summary_text", "text": ""},
                }
            )
            events.append(
                {
                    "type": "response.reasoning_summary_text.delta",
                    **base,
                    "summary_index": 0,
                    "delta": summary,
                }
            )
            events.append(
                {"type": "response.reasoning_summary_text.done", **base, "summary_index": 0, "text": summary}
            )
            events.append(
                {
                    "type": "response.reasoning_summary_part.done",
                    **base,
                    "summary_index": 0,
                    "part": {"type": "summary_text", "text": summary},
                }
            )
        events.append({"type": "response.output_item.done", "output_index": index, "item": item})
    ending = "response.incomplete" if whole["status"] == "incomplete" else "response.completed"
    events.append({"type": ending, "response": whole})
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events


def responses_failed(message: str, model: str) -> dict[str, Any]:
    failed = {
        **responses_object_stub(model),
        "status": "failed",
        "error": {"code": "server_error", "message": message},
    }
    return {"type": "response.failed", "response": failed}


def responses_object_stub(model: str) -> dict[str, Any]:
    return {
        "id": _id("resp"),
        "object": "response",
        "created_at": 1_700_000_000,
        "model": model,
        "output": [],
    }
