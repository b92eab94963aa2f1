"""OpenAI Chat Completions responses and stream chunks.

Upstream bodies are parsed leniently: ``id``, ``created`` and ``model`` may be missing
(several local servers omit them; the peer project crashed on that), reasoning arrives as
``reasoning_content`` (DeepSeek, llama.cpp) or ``reasoning`` (vLLM, Ollama, LM Studio,
OpenRouter). What the gateway emits always fills ``id``, ``created`` and ``model``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from coderouter_supervisor.worker.protocol.wire import NullKeepingWireModel, WireModel

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class PromptTokensDetails(WireModel):
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None


class CompletionTokensDetails(WireModel):
    reasoning_tokens: int | None = None


class CompletionUsage(WireModel):
    """``prompt_tokens`` includes cached tokens (the opposite of Anthropic's ``input_tokens``)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


class CompletionFunction(WireModel):
    """A called function. Some servers send ``arguments`` as an object instead of a JSON string."""

    name: str = ""
    arguments: str | dict[str, Any] = ""


class CompletionToolCall(WireModel):
    id: str | None = None
    type: Literal["function"] = "function"
    function: CompletionFunction = Field(default_factory=CompletionFunction)


class CompletionMessage(NullKeepingWireModel):
    always_emit: ClassVar[tuple[str, ...]] = ("content",)

    role: Literal["assistant"] = "assistant"
    content: str | None = None
    tool_calls: list[CompletionToolCall] | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    refusal: str | None = None


class Choice(NullKeepingWireModel):
    always_emit: ClassVar[tuple[str, ...]] = ("finish_reason",)

    index: int = 0
    message: CompletionMessage = Field(default_factory=CompletionMessage)
    finish_reason: str | None = None


class ChatCompletion(WireModel):
    id: str | None = None
    object: Literal["chat.completion"] = "chat.completion"
    created: int | None = None
    model: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    usage: CompletionUsage | None = None


class DeltaFunction(WireModel):
    name: str | None = None
    arguments: str | None = None


class DeltaToolCall(WireModel):
    index: int = 0
    id: str | None = None
    type: Literal["function"] | None = None
    function: DeltaFunction | None = None


class ChoiceDelta(WireModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    reasoning_content: str | None = None
    reasoning: str | None = None
    tool_calls: list[DeltaToolCall] | None = None
    refusal: str | None = None


class ChunkChoice(NullKeepingWireModel):
    always_emit: ClassVar[tuple[str, ...]] = ("finish_reason",)

    index: int = 0
    delta: ChoiceDelta = Field(default_factory=ChoiceDelta)
    finish_reason: str | None = None


class ChatCompletionChunk(WireModel):
    """One ``data:`` line of a stream. A usage-only chunk has ``choices: []``."""

    id: str | None = None
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int | None = None
    model: str | None = None
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: CompletionUsage | None = None


class OpenAIErrorDetail(NullKeepingWireModel):
    always_emit: ClassVar[tuple[str, ...]] = ("param", "code")

    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorEnvelope(WireModel):
    """``{"error": {"message", "type", "param", "code"}}``: the error body and error chunk."""

    error: OpenAIErrorDetail
