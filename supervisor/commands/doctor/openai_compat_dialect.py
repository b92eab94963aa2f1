"""Probing a ``kind: openai_compat`` provider in OpenAI Chat Completions: ``choices[0].message``,
chunks ending in ``data: [DONE]``, reasoning in a message field whose name varies by server."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coderouter_supervisor.supervisor.commands.doctor.probe_dialect import (
    PLAIN_MAX_TOKENS,
    PLAIN_PROMPT,
    PROBE_TOOL,
    TOOL_DESCRIPTION,
    TOOL_MAX_TOKENS,
    TOOL_PROMPT,
    TOOL_SCHEMA,
    error_event_message,
)
from coderouter_supervisor.supervisor.commands.doctor.reasoning import (
    NO_REASONING_UNDECLARED,
    NOT_THINKING,
    reasoning_arrived,
    reasoning_in_text,
)
from coderouter_supervisor.supervisor.commands.doctor.results import CheckResult, StreamAnswer, entry
from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind

STANDARD_REASONING_FIELDS = ("reasoning_content", "reasoning")


def _message(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    choices = payload.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return message
    return {}


def _nonstandard_reasoning(message: Mapping[str, Any]) -> str | None:
    for key, value in message.items():
        if key in STANDARD_REASONING_FIELDS or not isinstance(value, str) or not value.strip():
            continue
        if "reason" in key or "think" in key:
            return key
    return None


class OpenAICompatDialect:
    kind: ProviderKind = "openai_compat"
    stream_ending = "data: [DONE]"
    may_be_ollama = True
    cache_fields = (("prompt_tokens_details", "cached_tokens"),)

    def plain_body(self, provider: ProviderConfig, *, thinking: bool) -> dict[str, Any]:
        """Thinking is not asked for: how a backend is told differs by server (``reasoning_control``)."""
        return {
            "model": provider.model,
            "max_tokens": PLAIN_MAX_TOKENS,
            "messages": [{"role": "user", "content": PLAIN_PROMPT}],
        }

    def tools_body(self, provider: ProviderConfig) -> dict[str, Any]:
        function = {"name": PROBE_TOOL, "description": TOOL_DESCRIPTION, "parameters": TOOL_SCHEMA}
        return {
            "model": provider.model,
            "max_tokens": TOOL_MAX_TOKENS,
            "messages": [{"role": "user", "content": TOOL_PROMPT}],
            "tools": [{"type": "function", "function": function}],
            "tool_choice": {"type": "function", "function": {"name": PROBE_TOOL}},
        }

    def answer_text(self, payload: Mapping[str, Any]) -> str:
        content = _message(payload).get("content")
        return content if isinstance(content, str) else ""

    def called_tools(self, payload: Mapping[str, Any]) -> list[str]:
        calls = _message(payload).get("tool_calls")
        return [
            str(c.get("function", {}).get("name"))
            for c in (calls if isinstance(calls, list) else [])
            if isinstance(c, dict) and isinstance(c.get("function"), dict)
        ]

    def stream_text(self, events: Sequence[Mapping[str, Any]]) -> str:
        parts: list[str] = []
        for event in events:
            choices = event.get("choices")
            if isinstance(choices, list) and choices and isinstance(choices[0], dict):
                delta = choices[0].get("delta")
                if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                    parts.append(delta["content"])
        return "".join(parts)

    def stream_finished(self, stream: StreamAnswer) -> bool:
        return stream.saw_done

    def stream_error(self, events: Sequence[Mapping[str, Any]]) -> str | None:
        return error_event_message(events)

    def judge_reasoning(
        self, provider: ProviderConfig, payload: Mapping[str, Any], thinking_expected: bool
    ) -> CheckResult:
        message = _message(payload)
        standard = next(
            (f for f in STANDARD_REASONING_FIELDS if isinstance(message.get(f), str) and message[f]), None
        )
        if standard is not None:
            return reasoning_arrived(provider, f"`{standard}`", thinking_expected)
        other = _nonstandard_reasoning(message)
        if other is not None:
            return CheckResult(
                "reasoning",
                "WARN",
                f"reasoning arrives in the non-standard field `{other}`, which the gateway does not read",
                "configure the backend to return `reasoning_content` (or `reasoning`); until then its "
                "reasoning is dropped",
            )
        in_text = reasoning_in_text(provider, self.answer_text(payload))
        if in_text is not None:
            return in_text
        if thinking_expected:
            return CheckResult(
                "reasoning",
                "WARN",
                "declared to think, but the answer carried no reasoning",
                f"set {entry(provider, 'capabilities.reasoning_control')} (openai | provider_specific) so "
                f"thinking requests ask for it, or {entry(provider, NOT_THINKING)}",
            )
        return NO_REASONING_UNDECLARED


OPENAI_COMPAT_DIALECT = OpenAICompatDialect()
