"""The model-based chat -> Responses request translator that the dict-writing one replaced: a test
oracle only (``openai_request_to_responses_model``), as it was; callers dump it with ``to_wire``."""

from __future__ import annotations

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

# The field rules and the text reading are shared: the oracle is the model-built conversation and body.
from coderouter_supervisor.worker.translate.openai_to_anthropic import (
    _text,
)
from coderouter_supervisor.worker.translate.openai_to_responses import _text_format


def _responses_input_parts(content: str | list[ContentPart] | None) -> list[InputPart]:
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


def _responses_assistant_items(message: AssistantMessage) -> list[InputItem]:
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


def _responses_items(request: ChatCompletionRequest) -> list[InputItem]:
    items: list[InputItem] = []
    for message in request.messages:
        if isinstance(message, AssistantMessage):
            items.extend(_responses_assistant_items(message))
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
            items.append(
                InputMessage(type="message", role="user", content=_responses_input_parts(message.content))
            )
    return items


def _responses_tools(request: ChatCompletionRequest) -> list[ResponsesTool]:
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


def _responses_tool_choice(request: ChatCompletionRequest) -> ResponsesToolChoice | None:
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        return FunctionToolChoice(type="function", name=choice.function.name)
    return choice


def openai_request_to_responses_model(request: ChatCompletionRequest, *, model: str) -> ResponsesRequest:
    """The Responses request model for a chat request, as ``openai_request_to_responses`` built it."""
    limit = max(request.max_completion_tokens or 0, request.max_tokens or 0) or None
    tools = _responses_tools(request)
    translated = ResponsesRequest(
        model=model,
        input=[],
        tools=tools or None,
        tool_choice=_responses_tool_choice(request) if tools else None,
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
    translated.input = _responses_items(request)
    return translated
