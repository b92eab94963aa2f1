"""Anthropic Messages responses: the ``Message`` object and its ``usage``.

Parsing an upstream's message is lenient about values the API adds over time
(``stop_reason`` is a plain string here: the peer project crashed on ``refusal`` and
``pause_turn``); what the gateway itself produces uses the :data:`StopReason` literal.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from coderouter_supervisor.worker.protocol.anthropic_content import ContentBlock
from coderouter_supervisor.worker.protocol.wire import NullKeepingWireModel, WireModel

StopReason = Literal[
    "end_turn",
    "max_tokens",
    "stop_sequence",
    "tool_use",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
]

AnthropicErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "billing_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "timeout_error",
    "overloaded_error",
]


class Usage(WireModel):
    """Token counts. ``input_tokens`` excludes cached tokens: total input is the sum of the three."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class Message(NullKeepingWireModel):
    """A complete assistant message (non-streaming response, and ``message_start.message``)."""

    always_emit: ClassVar[tuple[str, ...]] = ("stop_reason", "stop_sequence")

    id: str
    type: Literal["message"] = "message"
    role: Literal["assistant"] = "assistant"
    model: str
    content: list[ContentBlock]
    stop_reason: str | None = None
    stop_sequence: str | None = None
    usage: Usage = Field(default_factory=Usage)


class ErrorDetail(WireModel):
    type: str
    message: str


class ErrorEnvelope(WireModel):
    """``{"type": "error", "error": {"type", "message"}}``: the body of every error answer."""

    type: Literal["error"] = "error"
    error: ErrorDetail
