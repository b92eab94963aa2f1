"""Anthropic Messages request -> Responses request body (for ``openai_responses`` upstreams).

Written straight from the validated request into the wire dict, by the rules of the chat form
(:mod:`anthropic_to_openai`, :mod:`anthropic_messages_to_openai`) followed by the chat -> Responses
rules (:mod:`openai_to_responses`), with no chat or Responses models in between: ``system`` -> a
leading ``system`` message, mid-conversation system turns kept in place; each ``tool_result`` -> a
``function_call_output`` before the rest of its user turn (``is_error`` as an ``Error: `` prefix,
its images after it in the user message); user text, images (base64 as data URIs) and documents
(text, or a marker); assistant text -> an ``output_text`` message, ``tool_use`` -> ``function_call``
items (input as a JSON string); client tools (server tools left out), ``tool_choice``,
``disable_parallel_tool_use``; ``max_tokens`` -> ``max_output_tokens``; thinking -> a reasoning
effort; temperature, top_p, ``metadata.user_id`` -> ``user``; ``store`` false.

Dropped: thinking blocks (the upstream cannot verify reasoning it did not produce), stop
sequences, top_k, ``cache_control`` and every other Anthropic-only field.
"""

from __future__ import annotations

import json
from typing import Any

from coderouter_supervisor.worker.long_text import joined
from coderouter_supervisor.worker.protocol import (
    Base64ImageSource,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    MessagesRequest,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    URLImageSource,
)
from coderouter_supervisor.worker.translate.anthropic_messages_to_openai import (
    document_text,
    text_of_blocks,
    tool_result_reading,
)
from coderouter_supervisor.worker.translate.anthropic_to_openai import (
    EMPTY_SCHEMA,
    is_client_tool,
    openai_tool_choice,
    thinking_effort,
)

Item = dict[str, Any]
Part = dict[str, Any]


def _image(block: ImageBlock) -> Part:
    """An ``input_image`` (base64 as a data URI), or a note for a file reference."""
    source = block.source
    if isinstance(source, Base64ImageSource):
        return {"type": "input_image", "image_url": joined(f"data:{source.media_type};base64,", source.data)}
    if isinstance(source, URLImageSource):
        return {"type": "input_image", "image_url": source.url}
    return {"type": "input_text", "text": f"[image file {source.file_id} not available to this model]"}


def _function_call_output(block: ToolResultBlock, parts: list[Part]) -> Item:
    """The tool result's text as the output; its images are added to the user's ``parts``."""
    text, images = tool_result_reading(block)
    parts.extend(_image(image) for image in images)
    return {"type": "function_call_output", "call_id": block.tool_use_id, "output": text}


def _user_content(parts: list[Part]) -> list[Part]:
    """Plain text joined into one part (as the chat form's string content), otherwise every part."""
    if all(part["type"] == "input_text" for part in parts):
        text = "\n".join(part["text"] for part in parts)
        return [{"type": "input_text", "text": text}] if text else []
    return parts


def _user_items(content: str | list[ContentBlock]) -> list[Item]:
    if isinstance(content, str):
        parts = [{"type": "input_text", "text": content}] if content else []
        return [{"type": "message", "role": "user", "content": parts}]
    items: list[Item] = []
    parts = []
    for block in content:
        if isinstance(block, ToolResultBlock):
            items.append(_function_call_output(block, parts))
        elif isinstance(block, TextBlock):
            parts.append({"type": "input_text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append(_image(block))
        elif isinstance(block, DocumentBlock):
            parts.append({"type": "input_text", "text": document_text(block)})
    if parts:
        items.append({"type": "message", "role": "user", "content": _user_content(parts)})
    return items


def _assistant_items(content: str | list[ContentBlock]) -> list[Item]:
    if isinstance(content, str):
        text = content
        calls: list[Item] = []
    else:
        text = "".join(block.text for block in content if isinstance(block, TextBlock))
        calls = [
            {
                "type": "function_call",
                "call_id": block.id,
                "name": block.name,
                "arguments": json.dumps(block.input, ensure_ascii=False),
            }
            for block in content
            if isinstance(block, ToolUseBlock)
        ]
    if not text:
        return calls
    part = {"type": "output_text", "text": text, "annotations": []}
    return [{"type": "message", "role": "assistant", "content": [part]}, *calls]


def _items(request: MessagesRequest) -> list[Item]:
    system = text_of_blocks(request.system, "\n\n")
    items: list[Item] = [{"type": "message", "role": "system", "content": system}] if system else []
    for message in request.messages:
        if message.role == "user":
            items.extend(_user_items(message.content))
        elif message.role == "assistant":
            items.extend(_assistant_items(message.content))
        else:
            items.append(
                {"type": "message", "role": "system", "content": text_of_blocks(message.content, "\n\n")}
            )
    return items


def _tools(request: MessagesRequest) -> list[Item]:
    tools: list[Item] = []
    for tool in request.tools or []:
        if not is_client_tool(tool):
            continue
        function: Item = {"type": "function", "name": tool.name}
        if tool.description is not None:
            function["description"] = tool.description
        function["parameters"] = tool.input_schema or EMPTY_SCHEMA
        tools.append(function)
    return tools


def anthropic_request_to_responses(request: MessagesRequest, *, model: str) -> dict[str, Any]:
    """The Responses request body for ``request`` sent to ``model``; see the module docstring.

    A fresh dict with fresh items, fields absent rather than null; JSON values taken whole from the
    request (tool schemas) are shared with it, so callers must not change them in place."""
    tools = _tools(request)
    chat_choice, parallel = openai_tool_choice(request) if tools else (None, None)
    # A forced function is named at the top level in Responses, under ``function`` in chat.
    choice = (
        {"type": "function", "name": chat_choice["function"]["name"]}
        if isinstance(chat_choice, dict)
        else chat_choice
    )
    effort = thinking_effort(request) if request.thinking is not None else None
    fields: dict[str, Any] = {
        "model": model,
        "input": _items(request),
        "tools": tools or None,
        "tool_choice": choice,
        "parallel_tool_calls": parallel,
        "reasoning": {"effort": effort} if effort else None,
        "max_output_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stream": request.stream,
        "store": False,
        "user": request.metadata.user_id if request.metadata else None,
    }
    return {name: value for name, value in fields.items() if value is not None}
