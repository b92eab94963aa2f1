"""Reading one Responses stream event (a parsed JSON object): a delta as a :class:`Delta`, any
other event as its model.

Most events of a stream are text, reasoning-summary or argument deltas of a few characters, and a
translator needs only their text and output index. One in its plain form (only its declared
fields, each of the declared type) is read straight from the parsed JSON: validating each as the
``ResponsesStreamEvent`` union cost more than translating it, and building its model without
validation (``model_construct``) cost more still. Every other event is validated in full.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import TypeAdapter, ValidationError

from coderouter_supervisor.worker.protocol import (
    ArgumentsDeltaEvent,
    ResponsesStreamEvent,
    SummaryTextDeltaEvent,
    TextDeltaEvent,
    upstream_error_from_responses_event,
)

_EVENT: TypeAdapter[Any] = TypeAdapter(ResponsesStreamEvent)

TEXT_DELTA = "response.output_text.delta"
SUMMARY_DELTA = "response.reasoning_summary_text.delta"
ARGUMENTS_DELTA = "response.function_call_arguments.delta"
# Not modelled (they read as ``UnknownResponsesEvent``): raw reasoning (gpt-oss on vLLM, LM Studio)
# and refusals.
REASONING_TEXT_DELTA = "response.reasoning_text.delta"
REFUSAL_DELTA = "response.refusal.delta"

# Per delta type: the integer fields it requires besides ``output_index``, and every key it may carry.
_PLAIN: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    TEXT_DELTA: (
        ("content_index",),
        frozenset(
            {"type", "sequence_number", "item_id", "output_index", "content_index", "delta", "logprobs"}
        ),
    ),
    SUMMARY_DELTA: (
        ("summary_index",),
        frozenset({"type", "sequence_number", "item_id", "output_index", "summary_index", "delta"}),
    ),
    ARGUMENTS_DELTA: ((), frozenset({"type", "sequence_number", "item_id", "output_index", "delta"})),
}


_IGNORED = frozenset(
    {
        "response.content_part.added",
        "response.content_part.done",
        "response.output_text.done",
        "response.function_call_arguments.done",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_part.done",
        "response.reasoning_summary_text.done",
    }
)
_ITEM_EVENTS = frozenset({"response.output_item.added", "response.output_item.done"})


class Delta(NamedTuple):
    """What a text, reasoning-summary or argument delta event carries for a translator."""

    type: str  # one of TEXT_DELTA, SUMMARY_DELTA, ARGUMENTS_DELTA
    output_index: int
    delta: str


def plain_delta(event: Mapping[str, Any]) -> Delta | None:
    """``event`` read directly when it is a delta in its plain form (one the model accepts and
    reads the same), else None."""
    kind = event.get("type")
    plain = _PLAIN.get(kind) if type(kind) is str else None
    if plain is None:
        return None
    indices, keys = plain
    output_index, delta = event.get("output_index"), event.get("delta")
    plain_form = (
        type(output_index) is int
        and type(delta) is str
        and keys.issuperset(event.keys())
        and type(event.get("item_id")) is str
        and type(event.get("sequence_number", 0)) is int
        and all(type(event.get(name)) is int for name in indices)
        and type(event.get("logprobs", [])) is list
    )
    return Delta(kind, output_index, delta) if plain_form else None  # type: ignore[arg-type]


def ignored(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` carries nothing a translated stream reads: the closing events of parts
    and texts (their content came as deltas) and output items other than function calls (a
    message item repeats its whole text). Validating them cost more than the deltas did."""
    kind = event.get("type")
    if kind in _IGNORED:
        return True
    if kind not in _ITEM_EVENTS:
        return False
    item = event.get("item")
    return type(item) is dict and type(item.get("type")) is str and item["type"] != "function_call"


def read_responses_event(event: Mapping[str, Any]) -> Any:
    """A :class:`Delta` for a text, summary or argument delta, None for an :func:`ignored` event,
    else the model of ``event`` (one of ``ResponsesStreamEvent``); raises ``ValidationError``
    when it fits none."""
    plain = plain_delta(event)
    if plain is not None:
        return plain
    if ignored(event):
        return None
    parsed = _EVENT.validate_python(event)
    if isinstance(parsed, TextDeltaEvent | SummaryTextDeltaEvent | ArgumentsDeltaEvent):
        return Delta(parsed.type, parsed.output_index, parsed.delta)
    return parsed


class Skipped:
    """An upstream event that fits none of the models: a translator counts it and reads on."""


SKIPPED = Skipped()


def read_upstream_event(event: Mapping[str, Any], *, provider: str) -> Any:
    """What :func:`read_responses_event` makes of ``event`` (None for an ignored one), or
    :data:`SKIPPED` when it fits no model; raises the ``UpstreamError`` an upstream's
    ``response.failed`` or ``error`` event reports."""
    error = upstream_error_from_responses_event(event, provider=provider)
    if error is not None:
        raise error
    try:
        return read_responses_event(event)
    except ValidationError:
        return SKIPPED
