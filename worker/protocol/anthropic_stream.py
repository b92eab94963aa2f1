"""Anthropic Messages stream events (the ``data`` of each named SSE event).

Order on the wire: one ``message_start``; per content block ``content_block_start``, deltas
of the block's own type, ``content_block_stop``; ``message_delta`` (usage cumulative);
``message_stop``. ``ping`` may appear anywhere, ``error`` ends a failed stream. Each event's
``type`` doubles as its SSE ``event:`` name.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Tag

from coderouter_supervisor.worker.protocol.anthropic_content import ContentBlock
from coderouter_supervisor.worker.protocol.anthropic_response import ErrorDetail, Message
from coderouter_supervisor.worker.protocol.wire import NullKeepingWireModel, WireModel


class TextDelta(WireModel):
    type: Literal["text_delta"] = "text_delta"
    text: str


class InputJSONDelta(WireModel):
    type: Literal["input_json_delta"] = "input_json_delta"
    partial_json: str


class ThinkingDelta(WireModel):
    type: Literal["thinking_delta"] = "thinking_delta"
    thinking: str


class SignatureDelta(WireModel):
    type: Literal["signature_delta"] = "signature_delta"
    signature: str


class UnknownDelta(WireModel):
    """A delta type not modelled here (``citations_delta``, later additions); fields kept."""

    type: str


def _delta_tag(value: Any) -> str:
    found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return found if found in _KNOWN_DELTAS else "unknown"


_KNOWN_DELTAS = frozenset({"text_delta", "input_json_delta", "thinking_delta", "signature_delta"})

BlockDelta = Annotated[
    Annotated[TextDelta, Tag("text_delta")]
    | Annotated[InputJSONDelta, Tag("input_json_delta")]
    | Annotated[ThinkingDelta, Tag("thinking_delta")]
    | Annotated[SignatureDelta, Tag("signature_delta")]
    | Annotated[UnknownDelta, Tag("unknown")],
    Discriminator(_delta_tag),
]


class MessageStartEvent(WireModel):
    type: Literal["message_start"] = "message_start"
    message: Message


class ContentBlockStartEvent(WireModel):
    type: Literal["content_block_start"] = "content_block_start"
    index: int
    content_block: ContentBlock


class ContentBlockDeltaEvent(WireModel):
    type: Literal["content_block_delta"] = "content_block_delta"
    index: int
    delta: BlockDelta


class ContentBlockStopEvent(WireModel):
    type: Literal["content_block_stop"] = "content_block_stop"
    index: int


class MessageDelta(NullKeepingWireModel):
    always_emit: ClassVar[tuple[str, ...]] = ("stop_reason", "stop_sequence")

    stop_reason: str | None = None
    stop_sequence: str | None = None


class MessageDeltaUsage(WireModel):
    """Cumulative usage; ``output_tokens`` is always present (SDKs read it unconditionally)."""

    output_tokens: int = 0
    input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None


class MessageDeltaEvent(WireModel):
    type: Literal["message_delta"] = "message_delta"
    delta: MessageDelta
    usage: MessageDeltaUsage


class MessageStopEvent(WireModel):
    type: Literal["message_stop"] = "message_stop"


class PingEvent(WireModel):
    type: Literal["ping"] = "ping"


class ErrorEvent(WireModel):
    type: Literal["error"] = "error"
    error: ErrorDetail


class UnknownEvent(WireModel):
    """An event type not modelled here; clients must tolerate unknown events, and so do we."""

    type: str


_KNOWN_EVENTS = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)


def _event_tag(value: Any) -> str:
    found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return found if found in _KNOWN_EVENTS else "unknown"


StreamEvent = Annotated[
    Annotated[MessageStartEvent, Tag("message_start")]
    | Annotated[ContentBlockStartEvent, Tag("content_block_start")]
    | Annotated[ContentBlockDeltaEvent, Tag("content_block_delta")]
    | Annotated[ContentBlockStopEvent, Tag("content_block_stop")]
    | Annotated[MessageDeltaEvent, Tag("message_delta")]
    | Annotated[MessageStopEvent, Tag("message_stop")]
    | Annotated[PingEvent, Tag("ping")]
    | Annotated[ErrorEvent, Tag("error")]
    | Annotated[UnknownEvent, Tag("unknown")],
    Discriminator(_event_tag),
]
"""Any Anthropic stream event; validate with ``pydantic.TypeAdapter(StreamEvent)``."""

AnthropicEvent = (
    MessageStartEvent
    | ContentBlockStartEvent
    | ContentBlockDeltaEvent
    | ContentBlockStopEvent
    | MessageDeltaEvent
    | MessageStopEvent
    | PingEvent
    | ErrorEvent
)
"""An event the gateway emits; encode with ``encode_event(event.type, event.to_wire())``."""
