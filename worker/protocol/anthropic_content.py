"""Anthropic Messages content blocks, shared by requests, responses and stream events.

Known block types validate strictly; any other ``type`` (server-tool blocks, search results,
types Anthropic adds later) becomes :class:`UnknownBlock` with every field kept, so a
same-protocol upstream receives it unchanged and a translator can skip it knowingly.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from coderouter_supervisor.worker.protocol.wire import WireModel

CacheControl = dict[str, Any]


class Base64ImageSource(WireModel):
    type: Literal["base64"]
    media_type: str
    data: str


class URLImageSource(WireModel):
    type: Literal["url"]
    url: str


class FileImageSource(WireModel):
    type: Literal["file"]
    file_id: str


ImageSource = Annotated[Base64ImageSource | URLImageSource | FileImageSource, Discriminator("type")]


class TextBlock(WireModel):
    type: Literal["text"]
    text: str
    cache_control: CacheControl | None = None
    citations: list[dict[str, Any]] | None = None


class ImageBlock(WireModel):
    type: Literal["image"]
    source: ImageSource
    cache_control: CacheControl | None = None


class DocumentBlock(WireModel):
    """A document (PDF, plain text, ...); ``source`` varies too much to model field by field."""

    type: Literal["document"]
    source: dict[str, Any]
    title: str | None = None
    cache_control: CacheControl | None = None


class ThinkingBlock(WireModel):
    """Model reasoning.

    ``signature`` proves a block came from Anthropic; thinking synthesized from another
    backend's reasoning carries an empty signature and must never be sent to Anthropic.
    """

    type: Literal["thinking"]
    thinking: str
    signature: str | None = None


class RedactedThinkingBlock(WireModel):
    type: Literal["redacted_thinking"]
    data: str


class ToolUseBlock(WireModel):
    type: Literal["tool_use"]
    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControl | None = None


class UnknownBlock(WireModel):
    """Any block type not modelled above; all fields are kept as extras."""

    type: str


def _tag_within(known: frozenset[str]) -> Any:
    """A discriminator that routes every type outside ``known`` to the ``unknown`` tag."""

    def tag(value: Any) -> str:
        found = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
        # Not a string (a list, an object): no known tag, and the unknown block refuses it.
        return found if isinstance(found, str) and found in known else "unknown"

    return tag


ToolResultContentBlock = Annotated[
    Annotated[TextBlock, Tag("text")]
    | Annotated[ImageBlock, Tag("image")]
    | Annotated[DocumentBlock, Tag("document")]
    | Annotated[UnknownBlock, Tag("unknown")],
    Discriminator(_tag_within(frozenset({"text", "image", "document"}))),
]


class ToolResultBlock(WireModel):
    type: Literal["tool_result"]
    tool_use_id: str
    content: str | list[ToolResultContentBlock] | None = None
    is_error: bool | None = None
    cache_control: CacheControl | None = None


ContentBlock = Annotated[
    Annotated[TextBlock, Tag("text")]
    | Annotated[ImageBlock, Tag("image")]
    | Annotated[DocumentBlock, Tag("document")]
    | Annotated[ThinkingBlock, Tag("thinking")]
    | Annotated[RedactedThinkingBlock, Tag("redacted_thinking")]
    | Annotated[ToolUseBlock, Tag("tool_use")]
    | Annotated[ToolResultBlock, Tag("tool_result")]
    | Annotated[UnknownBlock, Tag("unknown")],
    Discriminator(
        _tag_within(
            frozenset(
                {"text", "image", "document", "thinking", "redacted_thinking", "tool_use", "tool_result"}
            )
        )
    ),
]
"""Any content block; unknown types validate as :class:`UnknownBlock`."""
