"""Why generation stopped, mapped between the protocols.

OpenAI's ``stop`` cannot tell a natural end from a stop sequence, so ``stop_sequence`` is
never invented. ``tool_use`` is reported whenever a tool call was emitted, whatever the
upstream's finish reason (local servers often say ``stop``).
"""

from __future__ import annotations

from coderouter_supervisor.worker.protocol import FinishReason, StopReason

_STOP_BY_FINISH: dict[str, StopReason] = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}

_FINISH_BY_STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def stop_reason_from_finish(finish_reason: str | None, *, emitted_tool_use: bool) -> StopReason:
    """Anthropic ``stop_reason`` for an OpenAI ``finish_reason``; unknown values end the turn."""
    if emitted_tool_use:
        return "tool_use"
    reason = _STOP_BY_FINISH.get(finish_reason or "stop", "end_turn")
    # "tool_calls" without a tool call emitted would promise a tool_use block that isn't there.
    return "end_turn" if reason == "tool_use" else reason


def finish_reason_from_stop(stop_reason: str | None) -> FinishReason:
    """OpenAI ``finish_reason`` for an Anthropic ``stop_reason``; unknown values read as ``stop``."""
    return _FINISH_BY_STOP.get(stop_reason or "end_turn", "stop")
