"""The model-based chat -> Anthropic request translator that the dict-writing one replaced: a test
oracle only (``openai_request_to_anthropic_model``), as it was; callers dump it with ``to_wire``."""

from __future__ import annotations

from typing import Literal

from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    ContentBlock,
    ContentPart,
    DeveloperMessage,
    ImageBlock,
    ImagePart,
    MessageParam,
    MessagesRequest,
    SystemMessage,
    TextBlock,
    TextPart,
    ToolMessage,
    ToolResultBlock,
    ToolUseBlock,
)
from coderouter_supervisor.worker.translate.anthropic_request_fields import (
    anthropic_image_source,
    anthropic_temperature,
    anthropic_thinking,
    anthropic_tool,
)
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import tool_input

# The field rules and the text reading are shared: the oracle is the model-built conversation and body.
from coderouter_supervisor.worker.translate.openai_to_anthropic import (
    _output_config,
    _text,
    _tool_choice,
    openai_output_limit,
)


def _image(part: ImagePart) -> ImageBlock:
    return ImageBlock.model_validate({"type": "image", "source": anthropic_image_source(part.image_url.url)})


def _blocks(content: str | list[ContentPart] | None) -> list[ContentBlock]:
    if content is None or isinstance(content, str):
        return [TextBlock(type="text", text=content)] if content else []
    blocks: list[ContentBlock] = []
    for part in content:
        if isinstance(part, TextPart) and part.text:
            blocks.append(TextBlock(type="text", text=part.text))
        elif isinstance(part, ImagePart):
            blocks.append(_image(part))
    return blocks


def _assistant_blocks(message: AssistantMessage) -> list[ContentBlock]:
    blocks = _blocks(message.content)
    for call in message.tool_calls or []:
        blocks.append(
            ToolUseBlock(
                type="tool_use",
                id=call.id,
                name=call.function.name,
                input=tool_input(call.function.arguments),
            )
        )
    return blocks


def _anthropic_conversation(request: ChatCompletionRequest) -> tuple[str, list[MessageParam]]:
    system: list[str] = []
    turns: list[MessageParam] = []
    role: Literal["user", "assistant"]
    for message in request.messages:
        if isinstance(message, SystemMessage | DeveloperMessage):
            system.append(_text(message.content))
            continue
        if isinstance(message, ToolMessage):
            role = "user"
            blocks: list[ContentBlock] = [
                ToolResultBlock(
                    type="tool_result", tool_use_id=message.tool_call_id, content=_text(message.content)
                )
            ]
        elif isinstance(message, AssistantMessage):
            role, blocks = "assistant", _assistant_blocks(message)
        else:
            role, blocks = "user", _blocks(message.content)
        if not blocks:
            continue
        if turns and turns[-1].role == role and isinstance(turns[-1].content, list):
            turns[-1].content.extend(blocks)
        else:
            turns.append(MessageParam(role=role, content=blocks))
    return "\n\n".join(text for text in system if text), turns


def openai_request_to_anthropic_model(request: ChatCompletionRequest, *, model: str) -> MessagesRequest:
    """The Anthropic request model for a chat request, as ``openai_request_to_anthropic`` built it."""
    system, turns = _anthropic_conversation(request)
    max_tokens = openai_output_limit(request)
    tools = [
        anthropic_tool(tool.function.name, tool.function.description, tool.function.parameters)
        for tool in request.tools or []
    ]
    stop = [request.stop] if isinstance(request.stop, str) else request.stop
    translated = MessagesRequest.model_validate(
        {
            "model": model,
            "max_tokens": max_tokens,
            "messages": [],
            "system": system or None,
            "tools": tools or None,
            "tool_choice": _tool_choice(request) if tools else None,
            "thinking": anthropic_thinking(request.reasoning_effort, max_tokens),
            "output_config": _output_config(request),
            "stop_sequences": stop or None,
            "temperature": anthropic_temperature(request.temperature),
            "top_p": request.top_p,
            "stream": request.stream,
            "metadata": {"user_id": request.user} if request.user else None,
        }
    )
    translated.messages = turns
    return translated
