"""Anthropic conversation turns -> OpenAI chat messages.

Rules (each answers a known failure of naive translators):

* ``tool_result`` blocks become one ``role: tool`` message each, in order, before the rest
  of the user's turn; ``is_error`` survives as an ``Error: `` prefix since OpenAI has no field.
* Images inside a tool result cannot ride on a tool message; they follow in the user message.
* ``tool_use`` becomes ``tool_calls`` with the input as a JSON string.
* Thinking is dropped unless the target wants it replayed as ``reasoning_content``;
  ``redacted_thinking`` is opaque to every other backend and always dropped.
* Blocks no OpenAI server can read (PDF documents, file references) leave a short marker so
  the model knows something was attached.

Messages are written as wire dicts, fields absent rather than null.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from coderouter_supervisor.worker.long_text import joined
from coderouter_supervisor.worker.protocol import (
    Base64ImageSource,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    MessageParam,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    URLImageSource,
)

TOOL_ERROR_PREFIX = "Error: "

Part = dict[str, Any]
Message = dict[str, Any]


def image_part(block: ImageBlock) -> Part:
    """An ``image_url`` part (data URI for base64), or a text marker for file references."""
    source = block.source
    if isinstance(source, Base64ImageSource):
        return {
            "type": "image_url",
            "image_url": {"url": joined(f"data:{source.media_type};base64,", source.data)},
        }
    if isinstance(source, URLImageSource):
        return {"type": "image_url", "image_url": {"url": source.url}}
    return {"type": "text", "text": f"[image file {source.file_id} not available to this model]"}


def document_text(block: DocumentBlock) -> str:
    """A plain-text document's text; a marker naming any other document."""
    source = block.source
    if source.get("type") == "text" and isinstance(source.get("data"), str):
        text: str = source["data"]
        return text
    kind = source.get("media_type") or source.get("type") or "document"
    return f"[{block.title or kind} attached, not readable by this model]"


def text_of_blocks(blocks: str | Sequence[ContentBlock] | None, separator: str = "\n") -> str:
    """The text blocks of ``blocks`` joined by ``separator``; a string is returned as is."""
    if blocks is None:
        return ""
    if isinstance(blocks, str):
        return blocks
    return separator.join(block.text for block in blocks if isinstance(block, TextBlock))


def tool_result_reading(block: ToolResultBlock) -> tuple[str, list[ImageBlock]]:
    """A tool result's text (texts and documents joined, ``is_error`` as a prefix) and its images,
    which a tool message or output cannot carry."""
    texts: list[str] = []
    images: list[ImageBlock] = []
    if isinstance(block.content, str):
        texts.append(block.content)
    for item in block.content if isinstance(block.content, list) else []:
        if isinstance(item, TextBlock):
            texts.append(item.text)
        elif isinstance(item, ImageBlock):
            images.append(item)
        elif isinstance(item, DocumentBlock):
            texts.append(document_text(item))
    text = "\n".join(texts)
    if block.is_error:
        text = TOOL_ERROR_PREFIX + text
    return text, images


def _user_content(parts: list[Part]) -> str | list[Part]:
    """Plain text as a string (every chat template understands it), otherwise a part list."""
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def user_messages(content: str | list[ContentBlock]) -> list[Message]:
    """One user turn -> its tool messages first, then at most one user message."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    messages: list[Message] = []
    parts: list[Part] = []
    for block in content:
        if isinstance(block, ToolResultBlock):
            text, images = tool_result_reading(block)
            messages.append({"role": "tool", "tool_call_id": block.tool_use_id, "content": text})
            parts.extend(image_part(image) for image in images)
        elif isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(image_part(block))
        elif isinstance(block, DocumentBlock):
            parts.append({"type": "text", "text": document_text(block)})
    if parts:
        messages.append({"role": "user", "content": _user_content(parts)})
    return messages


def assistant_message(content: str | list[ContentBlock], *, replay_reasoning: bool) -> Message:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in content:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ToolUseBlock):
            arguments = json.dumps(block.input, ensure_ascii=False)
            calls.append(
                {"id": block.id, "type": "function", "function": {"name": block.name, "arguments": arguments}}
            )
        elif isinstance(block, ThinkingBlock) and replay_reasoning:
            reasoning.append(block.thinking)
    message: Message = {"role": "assistant"}
    if texts or not calls:
        message["content"] = "".join(texts)
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    return message


def conversation_messages(
    messages: Sequence[MessageParam], *, replay_reasoning: bool, fold_system_messages: bool
) -> tuple[list[Message], list[str]]:
    """Translate every turn; returns the messages and, when folding, the system texts taken out."""
    translated: list[Message] = []
    folded: list[str] = []
    for message in messages:
        if message.role == "user":
            translated.extend(user_messages(message.content))
        elif message.role == "assistant":
            translated.append(assistant_message(message.content, replay_reasoning=replay_reasoning))
        elif fold_system_messages:
            folded.append(text_of_blocks(message.content, "\n\n"))
        else:
            translated.append({"role": "system", "content": text_of_blocks(message.content, "\n\n")})
    return translated, folded
