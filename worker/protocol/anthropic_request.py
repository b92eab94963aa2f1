"""Anthropic Messages requests: ``POST /v1/messages`` and ``/v1/messages/count_tokens``.

Lenient where clients are: unknown top-level and nested fields are kept (Claude Code sends
``output_config``, ``context_management`` and beta fields that an Anthropic upstream needs
verbatim). Strict where the API is: required fields and the types of known fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator

from coderouter_supervisor.worker.protocol.anthropic_content import CacheControl, ContentBlock, TextBlock
from coderouter_supervisor.worker.protocol.request_bounds import AnthropicTopK, TokenLimit, UnitFraction
from coderouter_supervisor.worker.protocol.wire import WireModel


class MessageParam(WireModel):
    """One conversation turn. ``system`` turns are mid-conversation system messages."""

    role: Literal["user", "assistant", "system"]
    content: str | list[ContentBlock]


class ToolDefinition(WireModel):
    """A client tool (``input_schema``) or a server tool (``type`` like ``web_search_20250305``)."""

    name: str
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    type: str | None = None
    cache_control: CacheControl | None = None


class ToolChoiceAuto(WireModel):
    type: Literal["auto"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(WireModel):
    type: Literal["any"]
    disable_parallel_tool_use: bool | None = None


class ToolChoiceTool(WireModel):
    type: Literal["tool"]
    name: str
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(WireModel):
    type: Literal["none"]


ToolChoice = Annotated[
    ToolChoiceAuto | ToolChoiceAny | ToolChoiceTool | ToolChoiceNone, Discriminator("type")
]


class ThinkingEnabled(WireModel):
    type: Literal["enabled"]
    # Anthropic asks for 1024 or more; local models served through the gateway take less.
    budget_tokens: TokenLimit
    display: str | None = None


class ThinkingDisabled(WireModel):
    type: Literal["disabled"]


class ThinkingAdaptive(WireModel):
    type: Literal["adaptive"]
    display: str | None = None


ThinkingConfig = Annotated[ThinkingEnabled | ThinkingDisabled | ThinkingAdaptive, Discriminator("type")]


class RequestMetadata(WireModel):
    user_id: str | None = None


class CountTokensRequest(WireModel):
    """The body of ``/v1/messages/count_tokens``: a Messages request without ``max_tokens``."""

    model: str
    messages: list[MessageParam]
    system: str | list[TextBlock] | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoice | None = None
    thinking: ThinkingConfig | None = None
    output_config: dict[str, Any] | None = None


class MessagesRequest(CountTokensRequest):
    """The body of ``POST /v1/messages``."""

    max_tokens: TokenLimit
    stop_sequences: list[str] | None = None
    temperature: UnitFraction | None = None
    top_p: UnitFraction | None = None
    top_k: AnthropicTopK | None = None
    stream: bool | None = None
    metadata: RequestMetadata | None = None
