"""Reading one Anthropic stream event (a parsed JSON object) as its model.

Every event is validated as ``StreamEvent``. For the deltas that make up most of a stream this is
also the cheapest way to get their models: about 1.6 us for a text delta, where building the same
two models without validation (``model_construct``, pure Python in pydantic 2.x) took 4.2 us.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import TypeAdapter

from coderouter_supervisor.worker.protocol import StreamEvent

DeltaBlockKind = Literal["text", "thinking", "tool_use"]

_EVENT: TypeAdapter[Any] = TypeAdapter(StreamEvent)


# Per delta type in a plain ``content_block_delta``: its text's key and the kind of block it adds to.
_PLAIN_DELTAS: dict[str, tuple[str, DeltaBlockKind]] = {
    "text_delta": ("text", "text"),
    "thinking_delta": ("thinking", "thinking"),
    "input_json_delta": ("partial_json", "tool_use"),
}
_DELTA_EVENT_KEYS = frozenset({"type", "index", "delta"})


def plain_block_delta(event: Mapping[str, Any]) -> tuple[int, DeltaBlockKind, str] | None:
    """A text, thinking or argument ``content_block_delta`` in its plain form (only its declared
    keys, each of the declared type, as ``StreamEvent`` reads it) as its block index, the kind of
    block it adds to and its text, skipping validation; None for any other event."""
    if event.get("type") != "content_block_delta" or event.keys() != _DELTA_EVENT_KEYS:
        return None
    index, delta = event["index"], event["delta"]
    if type(index) is not int or type(delta) is not dict or len(delta) != 2:
        return None
    kind = delta.get("type")
    plain = _PLAIN_DELTAS.get(kind) if type(kind) is str else None
    if plain is None:
        return None
    text = delta.get(plain[0])
    return (index, plain[1], text) if type(text) is str else None


def read_stream_event(event: Mapping[str, Any]) -> Any:
    """The model of ``event`` (one of ``StreamEvent``); raises ``ValidationError`` when it fits none."""
    return _EVENT.validate_python(event)
