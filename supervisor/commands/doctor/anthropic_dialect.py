"""Probing a ``kind: anthropic`` provider in Anthropic Messages: content blocks, ``message_stop``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coderouter_supervisor.supervisor.commands.doctor.probe_dialect import (
    PLAIN_MAX_TOKENS,
    PLAIN_PROMPT,
    PROBE_TOOL,
    THINKING_BUDGET,
    TOOL_DESCRIPTION,
    TOOL_MAX_TOKENS,
    TOOL_PROMPT,
    TOOL_SCHEMA,
    error_event_message,
    typed_entries,
)
from coderouter_supervisor.supervisor.commands.doctor.reasoning import NOT_THINKING
from coderouter_supervisor.supervisor.commands.doctor.results import CheckResult, StreamAnswer, entry
from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind


def _blocks(payload: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return typed_entries(payload, "content", kind)


class AnthropicDialect:
    kind: ProviderKind = "anthropic"
    stream_ending = "message_stop"
    may_be_ollama = False
    cache_fields = (("cache_read_input_tokens",), ("cache_creation_input_tokens",))

    def plain_body(self, provider: ProviderConfig, *, thinking: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": provider.model,
            "max_tokens": PLAIN_MAX_TOKENS,
            "messages": [{"role": "user", "content": PLAIN_PROMPT}],
        }
        if thinking:
            body["thinking"] = {"type": "enabled", "budget_tokens": THINKING_BUDGET}
            body["max_tokens"] = THINKING_BUDGET + PLAIN_MAX_TOKENS
        return body

    def tools_body(self, provider: ProviderConfig) -> dict[str, Any]:
        return {
            "model": provider.model,
            "max_tokens": TOOL_MAX_TOKENS,
            "messages": [{"role": "user", "content": TOOL_PROMPT}],
            "tools": [{"name": PROBE_TOOL, "description": TOOL_DESCRIPTION, "input_schema": TOOL_SCHEMA}],
            "tool_choice": {"type": "tool", "name": PROBE_TOOL},
        }

    def answer_text(self, payload: Mapping[str, Any]) -> str:
        return "".join(str(b.get("text", "")) for b in _blocks(payload, "text"))

    def called_tools(self, payload: Mapping[str, Any]) -> list[str]:
        return [str(b.get("name")) for b in _blocks(payload, "tool_use")]

    def stream_text(self, events: Sequence[Mapping[str, Any]]) -> str:
        parts: list[str] = []
        for event in events:
            delta = event.get("delta")
            if event.get("type") == "content_block_delta" and isinstance(delta, dict):
                parts.append(str(delta.get("text", "")))
        return "".join(parts)

    def stream_finished(self, stream: StreamAnswer) -> bool:
        return any(e.get("type") == "message_stop" for e in stream.events)

    def stream_error(self, events: Sequence[Mapping[str, Any]]) -> str | None:
        return error_event_message(events)

    def judge_reasoning(
        self, provider: ProviderConfig, payload: Mapping[str, Any], thinking_expected: bool
    ) -> CheckResult:
        if _blocks(payload, "thinking"):
            return CheckResult("reasoning", "OK", "a thinking block came back")
        if thinking_expected:
            return CheckResult(
                "reasoning",
                "WARN",
                "thinking was requested but no thinking block came back",
                f"set {entry(provider, NOT_THINKING)} or use a model that thinks",
            )
        # Anthropic providers think unless marked not to (``can_think``), the same rule routing uses.
        return CheckResult("reasoning", "OK", "not requested (marked not to think: routing removes thinking)")


ANTHROPIC_DIALECT = AnthropicDialect()
