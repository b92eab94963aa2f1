"""Turn tool calls a model wrote as text into real tool calls.

Small local models often print a call instead of emitting one: ``<tool_call>{…}</tool_call>``
(Qwen/Hermes templates), a fenced ```` ```json ```` block, or a bare JSON object on its own
line. Repair runs only when the request declared tools, accepts only declared tool names,
and removes exactly the text of each recognised call: other code blocks and prose stay (the
peer project dropped every fenced block and invented calls for requests without tools).

A call is ``{"name": str, "arguments": object | JSON string}`` (``parameters`` is accepted
for ``arguments``) or ``{"function": {"name": …, "arguments": …}}``.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.protocol import (
    ChatCompletion,
    CompletionFunction,
    CompletionToolCall,
)

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)
_FENCE_LINE = re.compile(r"(?m)^[ \t]*```[ \t]*([\w+-]*)[^\n]*$")
_LINE_START_BRACE = re.compile(r"(?m)^[ \t]*\{")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class RepairedCall:
    name: str
    arguments: str
    """The arguments as a JSON object string, as OpenAI ``function.arguments`` carries them."""


@dataclass(frozen=True)
class ToolRepair:
    """The text with recognised calls cut out, and the calls in order of appearance."""

    text: str
    calls: tuple[RepairedCall, ...]


def _as_call(value: Any, declared: Collection[str]) -> RepairedCall | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict):
        value = value["function"]
    name = value.get("name")
    arguments = value.get("arguments", value.get("parameters", {}))
    if not isinstance(name, str) or name not in declared:
        return None
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return None
    if not isinstance(arguments, dict):
        return None
    return RepairedCall(name=name, arguments=json.dumps(arguments, ensure_ascii=False))


def _parse(body: str, declared: Collection[str]) -> RepairedCall | None:
    try:
        value, end = _DECODER.raw_decode(body.strip())
    except ValueError:
        return None
    return _as_call(value, declared) if end == len(body.strip()) else None


def _overlaps(start: int, end: int, taken: list[tuple[int, int, RepairedCall]]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end, _ in taken)


def _fenced_blocks(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, language, body)`` of each closed fenced block, fences paired line by line."""
    blocks: list[tuple[int, int, str, str]] = []
    opening: re.Match[str] | None = None
    for match in _FENCE_LINE.finditer(text):
        if opening is None:
            opening = match
        elif not match.group(1):
            body = text[opening.end() + 1 : match.start()]
            blocks.append((opening.start(), match.end(), opening.group(1).lower(), body))
            opening = None
    return blocks


def repair_tool_calls(text: str, declared: Collection[str]) -> ToolRepair:
    """Find the calls in ``text`` to tools named in ``declared``; no declared tools, no repair."""
    if not declared or not text:
        return ToolRepair(text=text, calls=())
    found: list[tuple[int, int, RepairedCall]] = []
    fences = _fenced_blocks(text)
    for start, end, language, body in fences:
        call = _parse(body, declared) if language in ("", "json") else None
        if call is not None:
            found.append((start, end, call))
    # A code block that is not a call is left whole, including any JSON inside it.
    protected = found + [(start, end, RepairedCall("", "")) for start, end, _, _ in fences]
    for match in _TAGGED.finditer(text):
        call = _parse(match.group(1), declared)
        if call is not None and not _overlaps(match.start(), match.end(), protected):
            found.append((match.start(), match.end(), call))
            protected.append(found[-1])
    for match in _LINE_START_BRACE.finditer(text):
        brace = match.end() - 1
        if _overlaps(brace, brace + 1, protected):
            continue
        try:
            value, end = _DECODER.raw_decode(text, brace)
        except ValueError:
            continue
        call = _as_call(value, declared)
        if call is not None:
            found.append((brace, end, call))
            protected.append(found[-1])
    if not found:
        return ToolRepair(text=text, calls=())
    found.sort(key=lambda item: item[0])
    pieces: list[str] = []
    cursor = 0
    for start, end, _ in found:
        pieces.append(text[cursor:start])
        cursor = end
    pieces.append(text[cursor:])
    cleaned = re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip()
    return ToolRepair(text=cleaned, calls=tuple(call for _, _, call in found))


def repair_completion(completion: ChatCompletion, declared: Collection[str]) -> ChatCompletion:
    """``completion`` with text-written calls made real (first choice; only if it has none).

    Returns ``completion`` itself when nothing was repaired. A repaired answer's
    ``finish_reason`` becomes ``tool_calls``.
    """
    if not completion.choices:
        return completion
    choice = completion.choices[0]
    message = choice.message
    if message.tool_calls or not message.content:
        return completion
    repair = repair_tool_calls(message.content, declared)
    if not repair.calls:
        return completion
    calls = [
        CompletionToolCall(
            id=f"call_{secrets.token_hex(8)}",
            function=CompletionFunction(name=call.name, arguments=call.arguments),
        )
        for call in repair.calls
    ]
    repaired_message = message.model_copy(update={"content": repair.text or None, "tool_calls": calls})
    repaired_choice = choice.model_copy(update={"message": repaired_message, "finish_reason": "tool_calls"})
    return completion.model_copy(update={"choices": [repaired_choice, *completion.choices[1:]]})
