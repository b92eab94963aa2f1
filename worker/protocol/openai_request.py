"""OpenAI Chat Completions requests: ``POST /v1/chat/completions``.

Messages are a union discriminated by ``role``; content parts by ``type`` with unknown part
types kept. Unknown request fields are kept so an OpenAI-compatible upstream receives what
the client sent (``response_format``, ``seed``, ``logprobs`` ... are modelled only where the
gateway reads them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from coderouter_supervisor.worker.protocol.request_bounds import (
    ChoiceCount,
    OpenAITemperature,
    OpenAITopK,
    Penalty,
    Seed,
    StopList,
    TokenLimit,
    TopLogprobs,
    UnitFraction,
)
from coderouter_supervisor.worker.protocol.wire import WireModel


class TextPart(WireModel):
    type: Literal["text"]
    text: str


class ImageURL(WireModel):
    url: str
    detail: str | None = None


class ImagePart(WireModel):
    type: Literal["image_url"]
    image_url: ImageURL


class UnknownPart(WireModel):
    """``input_audio``, ``file``, ``refusal`` and later part types; fields kept."""

    type: str


def _part_tag(value: Any) -> str:
    found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return found if found in ("text", "image_url") else "unknown"


ContentPart = Annotated[
    Annotated[TextPart, Tag("text")]
    | Annotated[ImagePart, Tag("image_url")]
    | Annotated[UnknownPart, Tag("unknown")],
    Discriminator(_part_tag),
]


class FunctionCall(WireModel):
    name: str
    arguments: str


class ToolCall(WireModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class SystemMessage(WireModel):
    role: Literal["system"]
    content: str | list[ContentPart]
    name: str | None = None


class DeveloperMessage(WireModel):
    role: Literal["developer"]
    content: str | list[ContentPart]
    name: str | None = None


class UserMessage(WireModel):
    role: Literal["user"]
    content: str | list[ContentPart]
    name: str | None = None


class AssistantMessage(WireModel):
    """An assistant turn; ``reasoning_content`` is the DeepSeek/llama.cpp reasoning field."""

    role: Literal["assistant"]
    content: str | list[ContentPart] | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    name: str | None = None


class ToolMessage(WireModel):
    role: Literal["tool"]
    tool_call_id: str
    content: str | list[ContentPart]


ChatMessage = Annotated[
    SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage,
    Discriminator("role"),
]


class FunctionDefinition(WireModel):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ChatTool(WireModel):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(WireModel):
    name: str


class NamedToolChoice(WireModel):
    type: Literal["function"]
    function: NamedFunction


ChatToolChoice = Literal["none", "auto", "required"] | NamedToolChoice


class StreamOptions(WireModel):
    include_usage: bool | None = None


class ChatCompletionRequest(WireModel):
    """The body of ``POST /v1/chat/completions``."""

    model: str
    messages: list[ChatMessage]
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: TokenLimit | None = None
    max_completion_tokens: TokenLimit | None = None
    temperature: OpenAITemperature | None = None
    top_p: UnitFraction | None = None
    n: ChoiceCount | None = None
    stop: str | StopList | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logprobs: bool | None = None
    top_logprobs: TopLogprobs | None = None
    tools: list[ChatTool] | None = None
    tool_choice: ChatToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None
    reasoning_effort: str | None = None
    seed: Seed | None = None
    user: str | None = None
    metadata: dict[str, Any] | None = None
    # Extensions of OpenAI-compatible servers that the gateway writes when translating:
    # top_k (vLLM, llama.cpp, LM Studio), reasoning (OpenRouter), chat_template_kwargs
    # (vLLM, llama.cpp: {"enable_thinking": bool}).
    top_k: OpenAITopK | None = None
    reasoning: dict[str, Any] | None = None
    chat_template_kwargs: dict[str, Any] | None = None
