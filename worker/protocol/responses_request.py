"""OpenAI Responses requests: ``POST /v1/responses``, as Codex CLI and the ``openai`` SDK send them.

``input`` is a string or a list of items discriminated by ``type`` (a message may leave ``type``
out: ``{"role": "user", "content": "hi"}`` is a message). Item, content-part and tool types the
gateway does not read (``item_reference``, ``custom_tool_call``, ``input_file``, hosted tools such
as ``web_search``) validate as ``Unknown…`` models with every field kept, so a Responses upstream
receives them unchanged and a translator can drop them knowingly. Unknown request fields are kept
for the same reason.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from coderouter_supervisor.worker.protocol.request_bounds import OpenAITemperature, TokenLimit, UnitFraction
from coderouter_supervisor.worker.protocol.wire import WireModel


def _tag_of(known: frozenset[str], default: str | None = None) -> Any:
    """A discriminator reading ``type`` (``default`` when absent); other types get ``unknown``."""

    def tag(value: Any) -> str:
        found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        found = default if found is None else found
        # Not a string (a list, an object): no known tag, and the unknown variant refuses it.
        return found if isinstance(found, str) and found in known else "unknown"

    return tag


class InputText(WireModel):
    type: Literal["input_text"]
    text: str


class OutputText(WireModel):
    """Assistant text: in an answer, and replayed from an earlier answer in the next request.

    ``annotations`` (citations) must be present, if empty, in what the gateway emits: the SDK requires it.
    """

    type: Literal["output_text"]
    text: str
    annotations: list[dict[str, Any]] | None = None


class InputImage(WireModel):
    """An image by URL (or data URI) or by uploaded ``file_id``."""

    type: Literal["input_image"]
    image_url: str | None = None
    file_id: str | None = None
    detail: str | None = None


class UnknownInputPart(WireModel):
    """``input_file``, ``refusal``, ``input_audio`` and later part types; fields kept."""

    type: str


InputPart = Annotated[
    Annotated[InputText, Tag("input_text")]
    | Annotated[OutputText, Tag("output_text")]
    | Annotated[InputImage, Tag("input_image")]
    | Annotated[UnknownInputPart, Tag("unknown")],
    Discriminator(_tag_of(frozenset({"input_text", "output_text", "input_image"}))),
]

MessageRole = Literal["developer", "system", "user", "assistant"]


class InputMessage(WireModel):
    """A conversation message; ``id`` and ``status`` come back on replayed assistant messages."""

    type: Literal["message"] | None = None
    role: MessageRole
    content: str | list[InputPart]
    id: str | None = None
    status: str | None = None


class FunctionCallItem(WireModel):
    """A tool call the model made. ``namespace`` names the ``namespace`` tool it belongs to."""

    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str
    namespace: str | None = None
    id: str | None = None
    status: str | None = None


class FunctionCallOutputItem(WireModel):
    """A tool's result; ``output`` is text, or content parts (text and images)."""

    type: Literal["function_call_output"]
    call_id: str
    output: str | list[InputPart]
    id: str | None = None
    status: str | None = None


class SummaryText(WireModel):
    type: Literal["summary_text"] = "summary_text"
    text: str


class ReasoningItem(WireModel):
    """Model reasoning. ``encrypted_content`` is opaque and meaningful only to the upstream kind
    that produced it; ``summary`` is readable text."""

    type: Literal["reasoning"]
    id: str | None = None
    summary: list[SummaryText] = Field(default_factory=list)
    encrypted_content: str | None = None
    content: list[dict[str, Any]] | None = None
    status: str | None = None


class UnknownItem(WireModel):
    """``item_reference``, ``custom_tool_call``, ``local_shell_call``, ``compaction``, ...; fields kept."""

    type: str


InputItem = Annotated[
    Annotated[InputMessage, Tag("message")]
    | Annotated[FunctionCallItem, Tag("function_call")]
    | Annotated[FunctionCallOutputItem, Tag("function_call_output")]
    | Annotated[ReasoningItem, Tag("reasoning")]
    | Annotated[UnknownItem, Tag("unknown")],
    Discriminator(
        _tag_of(
            frozenset({"message", "function_call", "function_call_output", "reasoning"}), default="message"
        )
    ),
]
"""Any input item; a dict without ``type`` is a message."""


class FunctionTool(WireModel):
    type: Literal["function"]
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class UnknownTool(WireModel):
    """A hosted tool (``web_search``, ``file_search``, ``code_interpreter``, ...) or a ``custom``
    tool: only a Responses upstream can run these."""

    type: str


NamespacedTool = Annotated[
    Annotated[FunctionTool, Tag("function")] | Annotated[UnknownTool, Tag("unknown")],
    Discriminator(_tag_of(frozenset({"function"}))),
]


class NamespaceTool(WireModel):
    """A named group of function tools; the model calls them as ``name`` within ``namespace``."""

    type: Literal["namespace"]
    name: str
    description: str | None = None
    tools: list[NamespacedTool]


ResponsesTool = Annotated[
    Annotated[FunctionTool, Tag("function")]
    | Annotated[NamespaceTool, Tag("namespace")]
    | Annotated[UnknownTool, Tag("unknown")],
    Discriminator(_tag_of(frozenset({"function", "namespace"}))),
]


class FunctionToolChoice(WireModel):
    type: Literal["function"]
    name: str


class UnknownToolChoice(WireModel):
    """``allowed_tools``, a hosted tool by type, ``mcp``, ``custom``; fields kept."""

    type: str


ResponsesToolChoice = (
    Literal["none", "auto", "required"]
    | Annotated[
        Annotated[FunctionToolChoice, Tag("function")] | Annotated[UnknownToolChoice, Tag("unknown")],
        Discriminator(_tag_of(frozenset({"function"}))),
    ]
)


class ReasoningConfig(WireModel):
    """``effort`` (``minimal`` ... ``xhigh``) and ``summary`` (``auto``, ``concise``, ``detailed``) are
    open sets that OpenAI grows; a value the gateway does not know passes through to a Responses
    upstream rather than failing here."""

    effort: str | None = None
    summary: str | None = None


class ResponsesRequest(WireModel):
    """The body of ``POST /v1/responses``."""

    model: str
    input: str | list[InputItem] | None = None
    instructions: str | None = None
    tools: list[ResponsesTool] | None = None
    tool_choice: ResponsesToolChoice | None = None
    parallel_tool_calls: bool | None = None
    reasoning: ReasoningConfig | None = None
    max_output_tokens: TokenLimit | None = None
    temperature: OpenAITemperature | None = None
    top_p: UnitFraction | None = None
    stream: bool | None = None
    store: bool | None = None
    previous_response_id: str | None = None
    include: list[str] | None = None
    prompt_cache_key: str | None = None
    metadata: dict[str, Any] | None = None
    client_metadata: dict[str, Any] | None = None
    text: dict[str, Any] | None = None
    user: str | None = None
