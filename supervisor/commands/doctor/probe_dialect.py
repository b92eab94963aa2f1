"""What `doctor` must know about one provider kind's API to probe it: how to write each probe's body and
how to read what comes back. One object per kind (see ``dialects``); everything else in `doctor` asks
the dialect instead of looking at ``provider.kind``.

Every dialect asks the same things (the prompts and limits below), each in its own API's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from coderouter_supervisor.supervisor.commands.doctor.results import CheckResult, StreamAnswer
from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind

PLAIN_PROMPT = "Reply with the single word PONG."
TOOL_PROMPT = "Call the echo tool with the text hi."
PLAIN_MAX_TOKENS = 16
TOOL_MAX_TOKENS = 64
# Anthropic's smallest thinking budget; the answer needs a little room beyond it.
THINKING_BUDGET = 1024
PROBE_TOOL = "echo"
TOOL_DESCRIPTION = "Echo the given text back."
TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"text": {"type": "string"}},
    "required": ["text"],
}


class ProbeDialect(Protocol):
    """Probe bodies and answer readers for one provider kind; every reader is pure and total (an answer
    of another shape reads as empty, never raises)."""

    @property
    def kind(self) -> ProviderKind: ...

    @property
    def stream_ending(self) -> str:
        """The event that ends a stream properly, as the streaming check names it."""

    @property
    def may_be_ollama(self) -> bool:
        """Whether Ollama serves this API, so its ``/api/show`` may tell the context length."""

    def plain_body(self, provider: ProviderConfig, *, thinking: bool) -> dict[str, Any]:
        """The plain probe; with ``thinking``, asking the model to think where the API says how."""

    def tools_body(self, provider: ProviderConfig) -> dict[str, Any]:
        """One :data:`PROBE_TOOL` tool, its call forced."""

    def answer_text(self, payload: Mapping[str, Any]) -> str:
        """The text of a whole answer."""

    def called_tools(self, payload: Mapping[str, Any]) -> list[str]:
        """The names of the tools a whole answer calls."""

    @property
    def cache_fields(self) -> tuple[tuple[str, ...], ...]:
        """Where the answer's ``usage`` reports prompt-cache tokens: each a path of keys under it."""

    def stream_text(self, events: Sequence[Mapping[str, Any]]) -> str:
        """The text a stream's events carry."""

    def stream_finished(self, stream: StreamAnswer) -> bool:
        """Whether the stream ended with its API's terminator (:attr:`stream_ending`)."""

    def stream_error(self, events: Sequence[Mapping[str, Any]]) -> str | None:
        """The message of the first error event in the stream, or None."""

    def judge_reasoning(
        self, provider: ProviderConfig, payload: Mapping[str, Any], thinking_expected: bool
    ) -> CheckResult:
        """The reasoning line for the plain probe's answer (``thinking_expected``: the probe asked)."""


def typed_entries(payload: Mapping[str, Any], field: str, kind: str) -> list[Mapping[str, Any]]:
    """The objects of ``kind`` in the list ``payload[field]`` (content blocks, output items)."""
    entries = payload.get(field)
    if not isinstance(entries, list):
        return []
    return [e for e in entries if isinstance(e, dict) and e.get("type") == kind]


def error_event_message(events: Sequence[Mapping[str, Any]]) -> str | None:
    """An ``error`` object in an event (Anthropic's ``error`` event, an OpenAI chunk), as a message."""
    for event in events:
        error = event.get("error")
        if error is not None and event.get("type") in (None, "error"):
            message = error.get("message") if isinstance(error, dict) else error
            return str(message or "an error event")
    return None
