"""OpenAI Responses stream events (the ``data`` of each SSE event; ``type`` is also its name).

Order on the wire: ``response.created``, ``response.in_progress``; per output item
``response.output_item.added``, its content events, ``response.output_item.done`` with the
whole item; then ``response.completed`` (or ``response.incomplete``, or ``response.failed`` /
``error`` on failure). Content events of a message are ``content_part.added``,
``output_text.delta``…, ``output_text.done``, ``content_part.done``; of a function call
``function_call_arguments.delta``…, ``.done``; of reasoning ``reasoning_summary_part.added``,
``reasoning_summary_text.delta``…, ``.done``, ``reasoning_summary_part.done``.
``sequence_number`` increases by one per event. Unknown event types validate as
:class:`UnknownResponsesEvent`.

The models read events (an upstream's); the gateway writes its events as
:class:`WrittenResponsesEvent`, their wire dict.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from coderouter_supervisor.worker.protocol.responses_request import SummaryText
from coderouter_supervisor.worker.protocol.responses_response import OutputItem, OutputPart, ResponseObject
from coderouter_supervisor.worker.protocol.wire import WireModel


class ResponseLifecycleEvent(WireModel):
    type: Literal[
        "response.created",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
    ]
    sequence_number: int = 0
    response: ResponseObject


class OutputItemEvent(WireModel):
    type: Literal["response.output_item.added", "response.output_item.done"]
    sequence_number: int = 0
    output_index: int
    item: OutputItem


class ContentPartEvent(WireModel):
    type: Literal["response.content_part.added", "response.content_part.done"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    content_index: int
    part: OutputPart


class TextDeltaEvent(WireModel):
    type: Literal["response.output_text.delta"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    content_index: int
    delta: str
    logprobs: list[Any] = Field(default_factory=list)


class TextDoneEvent(WireModel):
    type: Literal["response.output_text.done"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    content_index: int
    text: str
    logprobs: list[Any] = Field(default_factory=list)


class ArgumentsDeltaEvent(WireModel):
    type: Literal["response.function_call_arguments.delta"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    delta: str


class ArgumentsDoneEvent(WireModel):
    type: Literal["response.function_call_arguments.done"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    arguments: str
    name: str | None = None


class SummaryPartEvent(WireModel):
    type: Literal["response.reasoning_summary_part.added", "response.reasoning_summary_part.done"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    summary_index: int
    part: SummaryText


class SummaryTextDeltaEvent(WireModel):
    type: Literal["response.reasoning_summary_text.delta"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    summary_index: int
    delta: str


class SummaryTextDoneEvent(WireModel):
    type: Literal["response.reasoning_summary_text.done"]
    sequence_number: int = 0
    item_id: str
    output_index: int
    summary_index: int
    text: str


class ResponsesErrorEvent(WireModel):
    """A stream-level ``error`` event (the API sends it for failures outside a response)."""

    type: Literal["error"] = "error"
    sequence_number: int = 0
    code: str | None = None
    message: str
    param: str | None = None


class WrittenResponsesEvent:
    """An event the gateway writes, held as its wire dict (``type`` first, then
    ``sequence_number``): building and dumping a model per lifecycle event cost more than the
    rest of a short stream's translation, and a delta's model cost twice its dict. ``to_wire``
    returns that dict itself, not a copy."""

    __slots__ = ("data", "type")

    def __init__(self, data: dict[str, Any]) -> None:
        self.type: str = data["type"]
        self.data = data

    @property
    def sequence_number(self) -> int:
        number: int = self.data["sequence_number"]
        return number

    @sequence_number.setter
    def sequence_number(self, number: int) -> None:
        self.data["sequence_number"] = number

    def to_wire(self) -> dict[str, Any]:
        return self.data


class UnknownResponsesEvent(WireModel):
    """An event type not modelled here (``response.web_search_call.*``, ...); fields kept."""

    type: str


_TAG_BY_TYPE = {
    "response.created": "lifecycle",
    "response.in_progress": "lifecycle",
    "response.completed": "lifecycle",
    "response.incomplete": "lifecycle",
    "response.failed": "lifecycle",
    "response.output_item.added": "item",
    "response.output_item.done": "item",
    "response.content_part.added": "part",
    "response.content_part.done": "part",
    "response.output_text.delta": "text_delta",
    "response.output_text.done": "text_done",
    "response.function_call_arguments.delta": "arguments_delta",
    "response.function_call_arguments.done": "arguments_done",
    "response.reasoning_summary_part.added": "summary_part",
    "response.reasoning_summary_part.done": "summary_part",
    "response.reasoning_summary_text.delta": "summary_delta",
    "response.reasoning_summary_text.done": "summary_done",
    "error": "error",
}


def _event_tag(value: Any) -> str:
    found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return _TAG_BY_TYPE.get(found, "unknown") if isinstance(found, str) else "unknown"


ResponsesStreamEvent = Annotated[
    Annotated[ResponseLifecycleEvent, Tag("lifecycle")]
    | Annotated[OutputItemEvent, Tag("item")]
    | Annotated[ContentPartEvent, Tag("part")]
    | Annotated[TextDeltaEvent, Tag("text_delta")]
    | Annotated[TextDoneEvent, Tag("text_done")]
    | Annotated[ArgumentsDeltaEvent, Tag("arguments_delta")]
    | Annotated[ArgumentsDoneEvent, Tag("arguments_done")]
    | Annotated[SummaryPartEvent, Tag("summary_part")]
    | Annotated[SummaryTextDeltaEvent, Tag("summary_delta")]
    | Annotated[SummaryTextDoneEvent, Tag("summary_done")]
    | Annotated[ResponsesErrorEvent, Tag("error")]
    | Annotated[UnknownResponsesEvent, Tag("unknown")],
    Discriminator(_event_tag),
]
"""Any Responses stream event; validate with ``pydantic.TypeAdapter(ResponsesStreamEvent)``."""

ResponsesEvent = WrittenResponsesEvent
"""An event the gateway emits; encode with ``encode_event(event.type, event.to_wire())``."""
