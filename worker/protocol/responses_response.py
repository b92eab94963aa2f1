"""OpenAI Responses answers: the ``Response`` object, its ``output`` items and ``usage``.

Output items share their shapes with the input items a client replays on the next turn
(``function_call``, ``reasoning``, assistant ``output_text``), so those models come from
``responses_request``. Parsing an upstream's answer is lenient about values the API adds over
time (``status`` and item types are open); what the gateway emits uses the literals below.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag

from coderouter_supervisor.worker.protocol.responses_request import (
    FunctionCallItem,
    OutputText,
    ReasoningItem,
    UnknownInputPart,
    UnknownItem,
)
from coderouter_supervisor.worker.protocol.wire import NullKeepingWireModel, WireModel

ResponseStatus = Literal["completed", "failed", "in_progress", "incomplete", "queued", "cancelled"]
ItemStatus = Literal["in_progress", "completed", "incomplete"]


def _type_tag(known: frozenset[str]) -> Any:
    def tag(value: Any) -> str:
        found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        # Not a string (a list, an object): no known tag, and the unknown item refuses it.
        return found if isinstance(found, str) and found in known else "unknown"

    return tag


OutputPart = Annotated[
    Annotated[OutputText, Tag("output_text")] | Annotated[UnknownInputPart, Tag("unknown")],
    Discriminator(_type_tag(frozenset({"output_text"}))),
]
"""``output_text``, or ``refusal`` (``{"type": "refusal", "refusal": ...}``) and later part types."""


class OutputMessage(WireModel):
    type: Literal["message"] = "message"
    id: str
    role: Literal["assistant"] = "assistant"
    status: str = "completed"
    content: list[OutputPart] = Field(default_factory=list)


OutputItem = Annotated[
    Annotated[OutputMessage, Tag("message")]
    | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[ReasoningItem, Tag("reasoning")]
    | Annotated[UnknownItem, Tag("unknown")],
    Discriminator(_type_tag(frozenset({"message", "function_call", "reasoning"}))),
]
"""Any output item; hosted-tool calls (``web_search_call``, ...) validate as ``UnknownItem``."""


class InputTokensDetails(WireModel):
    cached_tokens: int = 0
    cache_write_tokens: int = 0


class OutputTokensDetails(WireModel):
    reasoning_tokens: int = 0


class ResponseUsage(WireModel):
    """``input_tokens`` includes tokens read from and written to the cache (as OpenAI's
    ``prompt_tokens`` does), detailed in ``input_tokens_details``. Codex refuses a
    ``usage`` without every field, so the gateway always fills all of them."""

    input_tokens: int = 0
    input_tokens_details: InputTokensDetails = Field(default_factory=InputTokensDetails)
    output_tokens: int = 0
    output_tokens_details: OutputTokensDetails = Field(default_factory=OutputTokensDetails)
    total_tokens: int = 0


class ResponseErrorDetail(WireModel):
    """Why a response failed: ``code`` is OpenAI's (``server_error``, ``rate_limit_exceeded``,
    ``context_length_exceeded``, ...)."""

    code: str
    message: str


class IncompleteDetails(WireModel):
    reason: str | None = None


class ResponseObject(NullKeepingWireModel):
    """A response (non-streaming answer, and the ``response`` of lifecycle stream events).

    ``parallel_tool_calls``, ``tool_choice`` and ``tools`` echo the request; the SDK requires them.
    """

    always_emit: ClassVar[tuple[str, ...]] = ("error", "incomplete_details", "usage")

    id: str
    object: Literal["response"] = "response"
    created_at: int = 0
    model: str = ""
    status: str = "completed"
    output: list[OutputItem] = Field(default_factory=list)
    usage: ResponseUsage | None = None
    error: ResponseErrorDetail | None = None
    incomplete_details: IncompleteDetails | None = None
    parallel_tool_calls: bool = True
    tool_choice: Any = "auto"
    tools: list[Any] = Field(default_factory=list)
