"""Chat Completions or Anthropic Messages request -> Responses request (for ``openai_responses``
upstreams).

From chat: ``system``/``developer`` messages keep their role as input messages; user text and
images -> ``input_text``/``input_image``; an assistant message -> an assistant ``message`` with
``output_text`` and one ``function_call`` item per tool call; ``role: tool`` ->
``function_call_output``; function tools; ``tool_choice``, ``parallel_tool_calls``;
``max_completion_tokens``/``max_tokens`` -> ``max_output_tokens``; temperature, top_p, ``user``;
``reasoning_effort`` -> ``reasoning.effort``; ``response_format`` -> ``text.format``. ``store`` is
always false: the gateway keeps no conversation upstream. Not carried (no Responses field):
``n``, ``stop``, ``seed``, penalties, logprobs, assistant ``reasoning_content`` (the upstream
cannot verify reasoning it did not produce).

From Anthropic: through the chat form (:func:`anthropic_request_to_openai`), so each rule is
written once; thinking asks for a reasoning effort.
"""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    ContentPart,
    DeveloperMessage,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionTool,
    FunctionToolChoice,
    ImagePart,
    InputImage,
    InputItem,
    InputMessage,
    InputPart,
    InputText,
    MessagesRequest,
    NamedToolChoice,
    OutputText,
    ReasoningConfig,
    ResponsesRequest,
    ResponsesTool,
    ResponsesToolChoice,
    SystemMessage,
    TextPart,
    ToolMessage,
)
from coderouter_supervisor.worker.translate.anthropic_to_openai import anthropic_request_to_openai
from coderouter_supervisor.worker.translate.openai_target import OpenAITarget


def _input_parts(content: str | list[ContentPart] | None) -> list[InputPart]:
    if content is None:
        return []
    if isinstance(content, str):
        return [InputText(type="input_text", text=content)] if content else []
    parts: list[InputPart] = []
    for part in content:
        if isinstance(part, TextPart):
            parts.append(InputText(type="input_text", text=part.text))
        elif isinstance(part, ImagePart):
            parts.append(
                InputImage(type="input_image", image_url=part.image_url.url, detail=part.image_url.detail)
            )
    return parts


def _text(content: str | list[ContentPart] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "\n".join(part.text for part in content if isinstance(part, TextPart))


def _assistant_items(message: AssistantMessage) -> list[InputItem]:
    items: list[InputItem] = []
    text = _text(message.content)
    if text:
        part = OutputText(type="output_text", text=text, annotations=[])
        items.append(InputMessage(type="message", role="assistant", content=[part]))
    for call in message.tool_calls or []:
        items.append(
            FunctionCallItem(
                type="function_call",
                call_id=call.id,
                name=call.function.name,
                arguments=call.function.arguments,
            )
        )
    return items


def _items(request: ChatCompletionRequest) -> list[InputItem]:
    items: list[InputItem] = []
    for message in request.messages:
        if isinstance(message, AssistantMessage):
            items.extend(_assistant_items(message))
        elif isinstance(message, ToolMessage):
            output = _text(message.content)
            items.append(
                FunctionCallOutputItem(
                    type="function_call_output", call_id=message.tool_call_id, output=output
                )
            )
        elif isinstance(message, SystemMessage | DeveloperMessage):
            items.append(InputMessage(type="message", role=message.role, content=_text(message.content)))
        else:
            items.append(InputMessage(type="message", role="user", content=_input_parts(message.content)))
    return items


def _tools(request: ChatCompletionRequest) -> list[ResponsesTool]:
    return [
        FunctionTool(
            type="function",
            name=tool.function.name,
            description=tool.function.description,
            parameters=tool.function.parameters,
            strict=tool.function.strict,
        )
        for tool in request.tools or []
    ]


def _tool_choice(request: ChatCompletionRequest) -> ResponsesToolChoice | None:
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        return FunctionToolChoice(type="function", name=choice.function.name)
    return choice


def _text_format(request: ChatCompletionRequest) -> dict[str, Any] | None:
    response_format = request.response_format
    if not response_format or response_format.get("type") not in ("json_object", "json_schema"):
        return None
    if response_format["type"] == "json_object":
        return {"format": {"type": "json_object"}}
    return {"format": {"type": "json_schema", **(response_format.get("json_schema") or {})}}


def openai_request_to_responses(request: ChatCompletionRequest, *, model: str) -> ResponsesRequest:
    """The Responses request for ``request`` sent to ``model``; see the module docstring."""
    limit = max(request.max_completion_tokens or 0, request.max_tokens or 0) or None
    tools = _tools(request)
    translated = ResponsesRequest(
        model=model,
        input=[],
        tools=tools or None,
        tool_choice=_tool_choice(request) if tools else None,
        parallel_tool_calls=request.parallel_tool_calls if tools else None,
        reasoning=ReasoningConfig(effort=request.reasoning_effort) if request.reasoning_effort else None,
        max_output_tokens=limit,
        temperature=request.temperature,
        top_p=request.top_p,
        stream=request.stream,
        store=False,
        text=_text_format(request),
        user=request.user,
    )
    # The items are models already: validating a long conversation again is one call holding the GIL.
    translated.input = _items(request)
    return translated


# Anthropic -> chat as the intermediate: every field kept, thinking asked for by effort, the output
# limit in the field Responses models read, system turns kept in place.
def _intermediate(model: str) -> OpenAITarget:
    return OpenAITarget(
        model=model,
        max_tokens_field="max_completion_tokens",
        reasoning_control="reasoning_effort",
        fold_system_messages=False,
    )


def anthropic_request_to_responses(request: MessagesRequest, *, model: str) -> ResponsesRequest:
    """The Responses request for an Anthropic ``request`` sent to ``model``."""
    chat = anthropic_request_to_openai(request, _intermediate(model))
    return openai_request_to_responses(chat, model=model)
