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
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from coderouter_supervisor.worker.long_text import joined
from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    Base64ImageSource,
    ChatMessage,
    ContentBlock,
    ContentPart,
    DocumentBlock,
    FunctionCall,
    ImageBlock,
    ImagePart,
    ImageURL,
    MessageParam,
    SystemMessage,
    TextBlock,
    TextPart,
    ThinkingBlock,
    ToolCall,
    ToolMessage,
    ToolResultBlock,
    ToolUseBlock,
    URLImageSource,
    UserMessage,
)

TOOL_ERROR_PREFIX = "Error: "


def image_part(block: ImageBlock) -> ContentPart:
    """An ``image_url`` part (data URI for base64), or a marker for file references."""
    source = block.source
    if isinstance(source, Base64ImageSource):
        return ImagePart(
            type="image_url", image_url=ImageURL(url=joined(f"data:{source.media_type};base64,", source.data))
        )
    if isinstance(source, URLImageSource):
        return ImagePart(type="image_url", image_url=ImageURL(url=source.url))
    return TextPart(type="text", text=f"[image file {source.file_id} not available to this model]")


def document_part(block: DocumentBlock) -> TextPart:
    source = block.source
    if source.get("type") == "text" and isinstance(source.get("data"), str):
        return TextPart(type="text", text=source["data"])
    kind = source.get("media_type") or source.get("type") or "document"
    return TextPart(type="text", text=f"[{block.title or kind} attached, not readable by this model]")


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
            texts.append(document_part(item).text)
    text = "\n".join(texts)
    if block.is_error:
        text = TOOL_ERROR_PREFIX + text
    return text, images


def _tool_message(block: ToolResultBlock) -> tuple[ToolMessage, list[ContentPart]]:
    text, images = tool_result_reading(block)
    message = ToolMessage(role="tool", tool_call_id=block.tool_use_id, content=text)
    return message, [image_part(image) for image in images]


def _user_content(parts: list[ContentPart]) -> str | list[ContentPart]:
    """Plain text as a string (every chat template understands it), otherwise a part list."""
    if all(isinstance(part, TextPart) for part in parts):
        return "\n".join(part.text for part in parts if isinstance(part, TextPart))
    return parts


def user_messages(content: str | list[ContentBlock]) -> list[ChatMessage]:
    """One user turn -> its tool messages first, then at most one user message."""
    if isinstance(content, str):
        return [UserMessage(role="user", content=content)]
    tool_messages: list[ChatMessage] = []
    parts: list[ContentPart] = []
    for block in content:
        if isinstance(block, ToolResultBlock):
            message, images = _tool_message(block)
            tool_messages.append(message)
            parts.extend(images)
        elif isinstance(block, TextBlock):
            parts.append(TextPart(type="text", text=block.text))
        elif isinstance(block, ImageBlock):
            parts.append(image_part(block))
        elif isinstance(block, DocumentBlock):
            parts.append(document_part(block))
    if parts:
        tool_messages.append(UserMessage(role="user", content=_user_content(parts)))
    return tool_messages


def assistant_message(content: str | list[ContentBlock], *, replay_reasoning: bool) -> AssistantMessage:
    if isinstance(content, str):
        return AssistantMessage(role="assistant", content=content)
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[ToolCall] = []
    for block in content:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ToolUseBlock):
            arguments = json.dumps(block.input, ensure_ascii=False)
            calls.append(ToolCall(id=block.id, function=FunctionCall(name=block.name, arguments=arguments)))
        elif isinstance(block, ThinkingBlock) and replay_reasoning:
            reasoning.append(block.thinking)
    return AssistantMessage(
        role="assistant",
        content="".join(texts) if texts or not calls else None,
        tool_calls=calls or None,
        reasoning_content="".join(reasoning) if reasoning else None,
    )


def conversation_messages(
    messages: Sequence[MessageParam], *, replay_reasoning: bool, fold_system_messages: bool
) -> tuple[list[ChatMessage], list[str]]:
    """Translate every turn; returns the messages and, when folding, the system texts taken out."""
    translated: list[ChatMessage] = []
    folded: list[str] = []
    for message in messages:
        if message.role == "user":
            translated.extend(user_messages(message.content))
        elif message.role == "assistant":
            translated.append(assistant_message(message.content, replay_reasoning=replay_reasoning))
        elif fold_system_messages:
            folded.append(text_of_blocks(message.content, "\n\n"))
        else:
            translated.append(SystemMessage(role="system", content=text_of_blocks(message.content, "\n\n")))
    return translated, folded
