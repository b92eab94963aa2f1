"""Translated stream events as SSE frames: Anthropic and Responses events named, OpenAI chunks not.

The events a stream sends once per token (text, reasoning and argument deltas, block stops, chat
chunks) are plain: JSON scalars and models of them. Their wire form is built from their fields
directly, skipping the pydantic dump (``to_wire``), which cost as much as the translation itself;
every other event is dumped as usual. ``tests/unit/test_event_frames.py`` pins both forms equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from coderouter_supervisor.worker.protocol import (
    AnthropicEvent,
    ArgumentsDeltaEvent,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    DeltaFunction,
    DeltaToolCall,
    InputJSONDelta,
    ResponsesEvent,
    SummaryTextDeltaEvent,
    TextDelta,
    TextDeltaEvent,
    ThinkingDelta,
    WireModel,
    encode_data,
    encode_event,
)

# Models whose fields are JSON scalars, lists, ``None`` or such models again, with no serializer of
# their own: for them ``to_wire`` is their field dict without ``None`` (bar ``always_emit``).
_PLAIN: frozenset[type[WireModel]] = frozenset(
    {
        TextDeltaEvent,
        SummaryTextDeltaEvent,
        ArgumentsDeltaEvent,
        ContentBlockDeltaEvent,
        ContentBlockStopEvent,
        TextDelta,
        ThinkingDelta,
        InputJSONDelta,
        ChatCompletionChunk,
        ChunkChoice,
        ChoiceDelta,
        DeltaToolCall,
        DeltaFunction,
    }
)


# Most fields of a per-token event are plain scalars: they go into the wire dict without a call
# (1.8 -> 0.8 us per text delta).
_SCALARS: frozenset[type] = frozenset({str, int, float, bool})


def event_wire(event: WireModel) -> dict[str, Any]:
    """What ``event.to_wire()`` returns, built without the pydantic dump for the per-token events."""
    if type(event) not in _PLAIN or event.__pydantic_extra__:
        return event.to_wire()
    wire = {
        name: value if type(value) in _SCALARS else _value_wire(value)
        for name, value in event.__dict__.items()
        if value is not None
    }
    for name in event.always_emit:
        wire.setdefault(name, None)
    return wire


def _value_wire(value: Any) -> Any:
    if isinstance(value, WireModel):
        return event_wire(value)
    if isinstance(value, list):
        return [event_wire(item) if isinstance(item, WireModel) else item for item in value]
    return value


def encode_named_events(events: Iterable[AnthropicEvent | ResponsesEvent]) -> bytes:
    """Anthropic or Responses events as SSE frames, each named by its type, in one body chunk."""
    return b"".join(encode_event(event.type, event_wire(event)) for event in events)


def encode_chunks(chunks: Iterable[WireModel]) -> bytes:
    """OpenAI chat chunks (or an error envelope) as unnamed SSE frames, in one body chunk."""
    return b"".join(encode_data(event_wire(chunk)) for chunk in chunks)
