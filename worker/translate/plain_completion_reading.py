"""What the first choice of a plain chat completion said, read from the dict as the model path reads
the validated model (:func:`message_reporting`): its text filtered, its calls, why it stopped.

Shared by the direct builders of an Anthropic message and of a Responses response from a completion.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.protocol import StopReason
from coderouter_supervisor.worker.translate.output_filters import OutputFilterName, apply_filters
from coderouter_supervisor.worker.translate.stop_reasons import stop_reason_from_finish
from coderouter_supervisor.worker.translate.tool_repair import repair_tool_calls

_NO_MESSAGE: dict[str, Any] = {}


@dataclass(frozen=True)
class CompletionSaid:
    """``reasoning`` and ``text`` ("" when none; the text is the filtered content, else the refusal),
    the tool ``calls`` as the upstream wrote them, and the Anthropic ``stop_reason``."""

    reasoning: str
    text: str
    calls: list[dict[str, Any]]
    stop_reason: StopReason


def completion_said(
    payload: dict[str, Any], declared: Collection[str], filters: Sequence[OutputFilterName]
) -> CompletionSaid | None:
    """What the plain completion ``payload`` said; None when its text holds calls to tools in
    ``declared`` to repair, which the model path does."""
    choices = payload["choices"]
    choice = choices[0] if choices else None
    message = choice["message"] if choice else _NO_MESSAGE
    content = message.get("content")
    if content and filters:
        content = apply_filters(content, filters)
    calls = message.get("tool_calls") or []
    if declared and content and not calls and repair_tool_calls(content, declared).calls:
        return None
    refusal = message.get("refusal")
    stop_reason = stop_reason_from_finish(
        choice["finish_reason"] if choice else None, emitted_tool_use=bool(calls)
    )
    if refusal and not content and not calls:
        stop_reason = "refusal"
    return CompletionSaid(
        reasoning=message.get("reasoning_content") or message.get("reasoning") or "",
        text=content or refusal or "",
        calls=calls,
        stop_reason=stop_reason,
    )
