"""Probing a ``kind: openai_responses`` provider in the OpenAI Responses API: ``input`` and
``max_output_tokens`` in, typed ``output`` items (``message``, ``function_call``, ``reasoning``) out,
a stream of typed events ending in ``response.completed``."""

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
    typed_entries,
)
from coderouter_supervisor.supervisor.commands.doctor.reasoning import (
    NO_REASONING_UNDECLARED,
    NOT_THINKING,
    reasoning_arrived,
    reasoning_in_text,
)
from coderouter_supervisor.supervisor.commands.doctor.results import CheckResult, StreamAnswer, entry
from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind
from coderouter_supervisor.worker.protocol import upstream_error_from_responses_event

# A response cut short by ``max_output_tokens`` ends the stream as properly as a completed one.
_STREAM_ENDINGS = frozenset({"response.completed", "response.incomplete"})


def _items(payload: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    return typed_entries(payload, "output", kind)


class OpenAIResponsesDialect:
    kind: ProviderKind = "openai_responses"
    stream_ending = "response.completed"
    # Ollama serves ``/v1/responses`` beside its chat completions.
    may_be_ollama = True
    cache_fields = (("input_tokens_details", "cached_tokens"),)

    def plain_body(self, provider: ProviderConfig, *, thinking: bool) -> dict[str, Any]:
        """A model that can think is asked to, at the lowest effort, with room to think beyond the
        answer (the gateway asks for thinking by ``reasoning.effort`` here too)."""
        body: dict[str, Any] = {
            "model": provider.model,
            "input": PLAIN_PROMPT,
            "max_output_tokens": PLAIN_MAX_TOKENS,
        }
        if thinking:
            body["reasoning"] = {"effort": "low"}
            body["max_output_tokens"] = THINKING_BUDGET + PLAIN_MAX_TOKENS
        return body

    def tools_body(self, provider: ProviderConfig) -> dict[str, Any]:
        tool = {
            "type": "function",
            "name": PROBE_TOOL,
            "description": TOOL_DESCRIPTION,
            "parameters": TOOL_SCHEMA,
        }
        return {
            "model": provider.model,
            "input": TOOL_PROMPT,
            "max_output_tokens": TOOL_MAX_TOKENS,
            "tools": [tool],
            "tool_choice": {"type": "function", "name": PROBE_TOOL},
        }

    def answer_text(self, payload: Mapping[str, Any]) -> str:
        parts: list[str] = []
        for message in _items(payload, "message"):
            content = message.get("content")
            for part in content if isinstance(content, list) else []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    parts.append(str(part.get("text", "")))
        return "".join(parts)

    def called_tools(self, payload: Mapping[str, Any]) -> list[str]:
        return [
            str(call.get("name"))
            for call in _items(payload, "function_call")
            if isinstance(call.get("arguments"), str)
        ]

    def stream_text(self, events: Sequence[Mapping[str, Any]]) -> str:
        return "".join(
            str(e.get("delta", "")) for e in events if e.get("type") == "response.output_text.delta"
        )

    def stream_finished(self, stream: StreamAnswer) -> bool:
        return any(e.get("type") in _STREAM_ENDINGS for e in stream.events)

    def stream_error(self, events: Sequence[Mapping[str, Any]]) -> str | None:
        for event in events:
            error = upstream_error_from_responses_event(event, provider="doctor")
            if error is not None:
                return error.message
        return None

    def judge_reasoning(
        self, provider: ProviderConfig, payload: Mapping[str, Any], thinking_expected: bool
    ) -> CheckResult:
        if _items(payload, "reasoning"):
            return reasoning_arrived(provider, "`reasoning` output items", thinking_expected)
        in_text = reasoning_in_text(provider, self.answer_text(payload))
        if in_text is not None:
            return in_text
        if thinking_expected:
            return CheckResult(
                "reasoning",
                "WARN",
                "asked to reason (`reasoning: {effort: low}`), but the answer carried no reasoning item",
                f"use a model that reasons, or set {entry(provider, NOT_THINKING)}",
            )
        return NO_REASONING_UNDECLARED


OPENAI_RESPONSES_DIALECT = OpenAIResponsesDialect()
