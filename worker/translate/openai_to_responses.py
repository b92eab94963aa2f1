"""Chat Completions request -> Responses request (for ``openai_responses`` upstreams).

From chat: ``system``/``developer`` messages keep their role as input messages; user text and
images -> ``input_text``/``input_image``; an assistant message -> an assistant ``message`` with
``output_text`` and one ``function_call`` item per tool call; ``role: tool`` ->
``function_call_output``; function tools; ``tool_choice``, ``parallel_tool_calls``;
``max_completion_tokens``/``max_tokens`` -> ``max_output_tokens``; temperature, top_p, ``user``;
``reasoning_effort`` -> ``reasoning.effort``; ``response_format`` -> ``text.format``. ``store`` is
always false: the gateway keeps no conversation upstream. Not carried (no Responses field):
``n``, ``stop``, ``seed``, penalties, logprobs, assistant ``reasoning_content`` (the upstream
cannot verify reasoning it did not produce).

Written straight into the wire dict, no Responses models in between. Anthropic requests have
their own translator (:mod:`anthropic_to_responses`), by the same rules.
"""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    ContentPart,
    DeveloperMessage,
    ImagePart,
    NamedToolChoice,
    SystemMessage,
    TextPart,
    ToolMessage,
)

Item = dict[str, Any]


def _input_parts(content: str | list[ContentPart] | None) -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "input_text", "text": content}] if content else []
    parts: list[dict[str, Any]] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            image: dict[str, Any] = {"type": "input_image", "image_url": part.image_url.url}
            if part.image_url.detail is not None:
                image["detail"] = part.image_url.detail
            parts.append(image)
    return parts


def _text(content: str | list[ContentPart] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "\n".join(part.text for part in content if isinstance(part, TextPart))


def _assistant_items(message: AssistantMessage) -> list[Item]:
    items: list[Item] = []
    text = _text(message.content)
    if text:
        part = {"type": "output_text", "text": text, "annotations": []}
        items.append({"type": "message", "role": "assistant", "content": [part]})
    for call in message.tool_calls or []:
        items.append(
            {
                "type": "function_call",
                "call_id": call.id,
                "name": call.function.name,
                "arguments": call.function.arguments,
            }
        )
    return items


def _items(request: ChatCompletionRequest) -> list[Item]:
    items: list[Item] = []
    for message in request.messages:
        if isinstance(message, AssistantMessage):
            items.extend(_assistant_items(message))
        elif isinstance(message, ToolMessage):
            output = _text(message.content)
            items.append({"type": "function_call_output", "call_id": message.tool_call_id, "output": output})
        elif isinstance(message, SystemMessage | DeveloperMessage):
            items.append({"type": "message", "role": message.role, "content": _text(message.content)})
        else:
            items.append({"type": "message", "role": "user", "content": _input_parts(message.content)})
    return items


def _tool(name: str, description: str | None, parameters: dict[str, Any] | None, strict: bool | None) -> Item:
    tool: Item = {"type": "function", "name": name}
    for field, value in (("description", description), ("parameters", parameters), ("strict", strict)):
        if value is not None:
            tool[field] = value
    return tool


def _tool_choice(request: ChatCompletionRequest) -> str | dict[str, Any] | None:
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        return {"type": "function", "name": choice.function.name}
    return choice


def _text_format(request: ChatCompletionRequest) -> dict[str, Any] | None:
    response_format = request.response_format
    if not response_format or response_format.get("type") not in ("json_object", "json_schema"):
        return None
    if response_format["type"] == "json_object":
        return {"format": {"type": "json_object"}}
    return {"format": {"type": "json_schema", **(response_format.get("json_schema") or {})}}


def openai_request_to_responses(
    request: ChatCompletionRequest, *, model: str, limit_when_unset: int | None = None
) -> dict[str, Any]:
    """The Responses request body for ``request`` sent to ``model``; see the module docstring.
    ``limit_when_unset`` is the ``max_output_tokens`` sent when the request sets no output limit.

    A fresh dict with fresh items, fields absent rather than null; JSON values taken whole from the
    request (tool schemas, the text format's schema) are shared with it, so callers must not change
    them in place."""
    limit = max(request.max_completion_tokens or 0, request.max_tokens or 0) or limit_when_unset
    tools = [
        _tool(tool.function.name, tool.function.description, tool.function.parameters, tool.function.strict)
        for tool in request.tools or []
    ]
    fields: dict[str, Any] = {
        "model": model,
        "input": _items(request),
        "tools": tools or None,
        "tool_choice": _tool_choice(request) if tools else None,
        "parallel_tool_calls": request.parallel_tool_calls if tools else None,
        "reasoning": {"effort": request.reasoning_effort} if request.reasoning_effort else None,
        "max_output_tokens": limit,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stream": request.stream,
        "store": False,
        "text": _text_format(request),
        "user": request.user,
    }
    return {name: value for name, value in fields.items() if value is not None}
