"""Anthropic request fields from OpenAI-style settings, as wire dicts: one rule each, shared by the
chat (:mod:`openai_to_anthropic`) and Responses (:mod:`responses_to_anthropic`) translators.

A field that would only restate Anthropic's default is None, so callers leave it out.
"""

from __future__ import annotations

from typing import Any, Literal

from coderouter_supervisor.worker.long_text import after

_BUDGET_BY_EFFORT = {"low": 2048, "medium": 8192, "high": 24576}

OpenAIToolMode = Literal["none", "auto", "required"]


def anthropic_thinking(effort: str | None, max_tokens: int) -> dict[str, Any] | None:
    """``thinking`` for a reasoning ``effort``; None for an effort without a budget (``minimal``,
    ``none``, unknown ones) and for a budget that does not fit: Anthropic requires
    ``budget_tokens < max_tokens``."""
    budget = _BUDGET_BY_EFFORT.get(effort or "")
    if budget is None or budget >= max_tokens:
        return None
    return {"type": "enabled", "budget_tokens": budget}


def anthropic_tool_choice(
    mode: OpenAIToolMode | None, parallel_tool_calls: bool | None, *, forced: str | None = None
) -> dict[str, Any] | None:
    """``tool_choice`` for OpenAI's ``tool_choice`` (a ``mode``, or the ``forced`` function's name)
    and ``parallel_tool_calls`` (false -> ``disable_parallel_tool_use``)."""
    serial = {"disable_parallel_tool_use": True} if parallel_tool_calls is False else {}
    if forced is not None:
        return {"type": "tool", "name": forced, **serial}
    if mode == "none":
        return {"type": "none"}
    if mode == "required":
        return {"type": "any", **serial}
    if mode == "auto" or serial:
        return {"type": "auto", **serial}
    return None


def anthropic_output_config(schema: object) -> dict[str, Any] | None:
    """``output_config`` asking for JSON that follows ``schema``; None unless it is a JSON object."""
    if not isinstance(schema, dict):
        return None
    return {"format": {"type": "json_schema", "schema": schema}}


def anthropic_temperature(temperature: float | None) -> float | None:
    """OpenAI's temperature (0-2) clamped to Anthropic's 0-1, rather than earning a certain 400."""
    return min(temperature, 1.0) if temperature is not None else None


def anthropic_image_source(url: str) -> dict[str, Any]:
    """An image ``source``: a base64 data URI inline, any other URL by reference."""
    if url.startswith("data:") and ";base64," in url:
        comma = url.index(",")
        media_type = url[len("data:") : comma].split(";", 1)[0]
        # A screenshot's base64 is cut out a slice at a time, so the event loop is not held (long_text).
        return {"type": "base64", "media_type": media_type, "data": after(url, comma + 1)}
    return {"type": "url", "url": url}


def anthropic_tool(name: str, description: str | None, parameters: dict[str, Any] | None) -> dict[str, Any]:
    """A client tool definition; a tool without parameters takes an empty object."""
    tool: dict[str, Any] = {"name": name}
    if description is not None:
        tool["description"] = description
    tool["input_schema"] = parameters or {"type": "object", "properties": {}}
    return tool
