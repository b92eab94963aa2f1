"""Tool-loop guard: the agent calls the same tool with the same arguments again and again.

Detection reads the assistant turns already in the request history (both protocols); the
caller decides what a detection means (warn, inject :data:`LOOP_HINT`, or refuse). Bodies are
raw JSON values as received: odd shapes are skipped, never raised on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LOOP_HINT = (
    "You appear to be calling the same tool with the same arguments repeatedly. This often means "
    "the previous results did not provide what you needed. Try a different approach: a different "
    "tool, a different argument, or asking the user for clarification."
)
"""Appended to the system prompt for ``tool_loop_action: inject``; phrased as advice, not blame,
so the model treats it as a hint rather than a failure that derails the rest of its answer."""


@dataclass(frozen=True)
class ToolUse:
    """One tool call of the history; ``arguments`` is canonical JSON (:func:`canonical_arguments`)."""

    name: str
    arguments: str


@dataclass(frozen=True)
class ToolLoop:
    """A detected loop. Never carries the arguments: they may hold secrets and end up in logs."""

    tool_name: str
    repeat_count: int


def canonical_arguments(value: object) -> str:
    """``value`` as JSON text in which equal arguments are equal strings (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def _assistant_messages(messages: object) -> list[Mapping[str, Any]]:
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, Mapping) and m.get("role") == "assistant"]


def anthropic_tool_uses(messages: object) -> list[ToolUse]:
    """Every assistant ``tool_use`` block of an Anthropic ``messages`` list, in history order."""
    uses: list[ToolUse] = []
    for message in _assistant_messages(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            if isinstance(block, Mapping) and block.get("type") == "tool_use":
                name = block.get("name")
                if isinstance(name, str):
                    uses.append(ToolUse(name, canonical_arguments(block.get("input"))))
    return uses


def _openai_arguments(raw: object) -> str:
    if not isinstance(raw, str):
        return canonical_arguments(raw)
    try:
        return canonical_arguments(json.loads(raw))
    except ValueError:
        # Truncated or hand-written arguments still repeat verbatim in a loop.
        return raw


def openai_tool_uses(messages: object) -> list[ToolUse]:
    """Every assistant ``tool_calls[].function`` of an OpenAI ``messages`` list, in history order.

    The ``arguments`` JSON string is parsed and canonicalised, so key order does not hide a
    repeat; text that does not parse is kept as it is.
    """
    uses: list[ToolUse] = []
    for message in _assistant_messages(messages):
        calls = message.get("tool_calls")
        if not isinstance(calls, list):
            continue
        for call in calls:
            function = call.get("function") if isinstance(call, Mapping) else None
            if not isinstance(function, Mapping):
                continue
            name = function.get("name")
            if isinstance(name, str):
                uses.append(ToolUse(name, _openai_arguments(function.get("arguments"))))
    return uses


def responses_tool_uses(items: object) -> list[ToolUse]:
    """Every ``function_call`` item of a Responses ``input`` list, in history order, its arguments
    canonicalised as for OpenAI. A namespace member counts as ``namespace.name``."""
    if not isinstance(items, list):
        return []
    uses: list[ToolUse] = []
    for item in items:
        if not isinstance(item, Mapping) or item.get("type") != "function_call":
            continue
        name, namespace = item.get("name"), item.get("namespace")
        if isinstance(name, str):
            full = f"{namespace}.{name}" if isinstance(namespace, str) else name
            uses.append(ToolUse(full, _openai_arguments(item.get("arguments"))))
    return uses


def detect_tool_loop(uses: Sequence[ToolUse], *, window: int, threshold: int) -> ToolLoop | None:
    """A loop when the trailing run of calls equal to the last one reaches ``threshold``.

    Only the last ``window`` calls count, and only the current run: a streak the agent already
    broke out of is not actionable. Raises :class:`ValueError` unless ``window`` and
    ``threshold`` are at least 1.
    """
    if window < 1 or threshold < 1:
        raise ValueError(f"window and threshold must be at least 1 (got {window}, {threshold})")
    recent = list(uses)[-window:]
    if len(recent) < threshold:
        return None
    last = recent[-1]
    streak = 0
    for use in reversed(recent):
        if use != last:
            break
        streak += 1
    return ToolLoop(last.name, streak) if streak >= threshold else None


def _text_part() -> dict[str, str]:
    return {"type": "text", "text": LOOP_HINT}


def _appended(text: str) -> str:
    return f"{text}\n\n{LOOP_HINT}" if text.strip() else LOOP_HINT


def inject_hint_anthropic(body: Mapping[str, Any]) -> dict[str, Any]:
    """A new body whose ``system`` ends with :data:`LOOP_HINT`; ``body`` is not mutated.

    No (or blank) system becomes the hint; a string gets it after a blank line; a block list
    gets an extra text block. A system of any other shape is left as it is: ingress validation
    rejects such bodies before a guard sees them.
    """
    result = dict(body)
    system = body.get("system")
    if system is None:
        result["system"] = LOOP_HINT
    elif isinstance(system, str):
        result["system"] = _appended(system)
    elif isinstance(system, list):
        result["system"] = [*system, _text_part()]
    return result


def inject_hint_openai(body: Mapping[str, Any]) -> dict[str, Any]:
    """A new body whose leading system (or developer) message ends with :data:`LOOP_HINT`.

    String content gets the hint after a blank line, a part list gets a text part, and missing
    content becomes the hint. Otherwise (no such leading message, or content of another shape) a
    ``{"role": "system"}`` message is inserted first: strict chat templates (llama.cpp with Qwen)
    refuse a system message anywhere else. ``body`` and its messages are not mutated; a body
    without a ``messages`` list is returned as a copy, unchanged.
    """
    result = dict(body)
    messages = body.get("messages")
    if not isinstance(messages, list):
        return result
    first = messages[0] if messages else None
    if isinstance(first, Mapping) and first.get("role") in ("system", "developer"):
        content = first.get("content")
        new_content: object
        if content is None:
            new_content = LOOP_HINT
        elif isinstance(content, str):
            new_content = _appended(content)
        elif isinstance(content, list):
            new_content = [*content, _text_part()]
        else:
            new_content = None
        if new_content is not None:
            result["messages"] = [{**first, "content": new_content}, *messages[1:]]
            return result
    result["messages"] = [{"role": "system", "content": LOOP_HINT}, *messages]
    return result
