"""Reading one Anthropic stream event (a parsed JSON object) as its model.

Most events of a stream are ``content_block_delta``s of a few characters. One in its plain form
(exactly ``type``, ``index`` and a ``delta`` of exactly ``type`` and its text field) is built
directly; validating each as a model cost a fifth of the translation. Every other event is
validated in full, as ``StreamEvent``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import TypeAdapter

from coderouter_supervisor.worker.protocol import (
    ContentBlockDeltaEvent,
    InputJSONDelta,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
)

_EVENT: TypeAdapter[Any] = TypeAdapter(StreamEvent)

_PLAIN_DELTAS: dict[str, tuple[str, Callable[[str], TextDelta | ThinkingDelta | InputJSONDelta]]] = {
    "text_delta": ("text", lambda text: TextDelta.model_construct(text=text)),
    "thinking_delta": ("thinking", lambda text: ThinkingDelta.model_construct(thinking=text)),
    "input_json_delta": ("partial_json", lambda text: InputJSONDelta.model_construct(partial_json=text)),
}
_EVENT_KEYS = frozenset({"type", "index", "delta"})


def plain_delta_event(event: Mapping[str, Any]) -> ContentBlockDeltaEvent | None:
    """``event`` as its model when it is a plain text, thinking or argument delta, else None."""
    if event.get("type") != "content_block_delta" or event.keys() != _EVENT_KEYS:
        return None
    delta, index = event["delta"], event["index"]
    if type(delta) is not dict or type(index) is not int or len(delta) != 2:
        return None
    plain = _PLAIN_DELTAS.get(str(delta.get("type")))
    if plain is None:
        return None
    field, build = plain
    text = delta.get(field)
    if type(text) is not str:
        return None
    return ContentBlockDeltaEvent.model_construct(index=index, delta=build(text))


def read_stream_event(event: Mapping[str, Any]) -> Any:
    """The model of ``event`` (one of ``StreamEvent``); raises ``ValidationError`` when it fits none."""
    return plain_delta_event(event) or _EVENT.validate_python(event)
