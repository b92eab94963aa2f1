"""The model-based Anthropic -> chat request translator that the dict-writing one replaced: a test
oracle only (``anthropic_request_to_openai_model``), as it was; callers dump it with ``to_wire``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from coderouter_supervisor.worker.long_text import joined
from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    Base64ImageSource,
    ChatCompletionRequest,
    ChatMessage,
    ChatTool,
    ChatToolChoice,
    ContentBlock,
    ContentPart,
    DocumentBlock,
    FunctionCall,
    FunctionDefinition,
    ImageBlock,
    ImagePart,
    ImageURL,
    MessageParam,
    MessagesRequest,
    NamedFunction,
    NamedToolChoice,
    StreamOptions,
    SystemMessage,
    TextBlock,
    TextPart,
    ThinkingBlock,
    ToolCall,
    ToolChoiceAny,
    ToolChoiceAuto,
    ToolChoiceNone,
    ToolChoiceTool,
    ToolDefinition,
    ToolMessage,
    ToolResultBlock,
    ToolUseBlock,
    URLImageSource,
    UserMessage,
)
from coderouter_supervisor.worker.translate import OpenAITarget
from coderouter_supervisor.worker.translate.anthropic_messages_to_openai import (
    text_of_blocks,
    tool_result_reading,
)
from coderouter_supervisor.worker.translate.anthropic_to_openai import (
    EMPTY_SCHEMA,
    is_client_tool,
    reasoning_fields,
)


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


def openai_tools(tools: list[ToolDefinition] | None) -> list[ChatTool]:
    """Client tools as OpenAI functions; server tools (web search ...) are left out."""
    return [
        ChatTool(
            type="function",
            function=FunctionDefinition(
                name=tool.name, description=tool.description, parameters=tool.input_schema or EMPTY_SCHEMA
            ),
        )
        for tool in tools or []
        if is_client_tool(tool)
    ]


def openai_tool_choice(request: MessagesRequest) -> tuple[ChatToolChoice | None, bool | None]:
    """``(tool_choice, parallel_tool_calls)``: auto/any/tool/none -> auto/required/function/none."""
    choice = request.tool_choice
    parallel = False if getattr(choice, "disable_parallel_tool_use", None) else None
    if isinstance(choice, ToolChoiceAuto):
        return "auto", parallel
    if isinstance(choice, ToolChoiceAny):
        return "required", parallel
    if isinstance(choice, ToolChoiceTool):
        return NamedToolChoice(type="function", function=NamedFunction(name=choice.name)), parallel
    if isinstance(choice, ToolChoiceNone):
        return "none", None
    return None, None


def _system_message(request: MessagesRequest, folded: list[str]) -> SystemMessage | None:
    texts = [text_of_blocks(request.system, "\n\n"), *folded]
    text = "\n\n".join(part for part in texts if part)
    return SystemMessage(role="system", content=text) if text else None


def _max_tokens(request: MessagesRequest, target: OpenAITarget) -> int:
    if target.max_tokens_cap is None:
        return request.max_tokens
    return min(request.max_tokens, target.max_tokens_cap)


def anthropic_request_to_openai_model(
    request: MessagesRequest, target: OpenAITarget
) -> ChatCompletionRequest:
    """The chat request model for an Anthropic request, as ``anthropic_request_to_openai`` built it."""
    conversation, folded = conversation_messages(
        request.messages,
        replay_reasoning=target.replay_reasoning,
        fold_system_messages=target.fold_system_messages,
    )
    system = _system_message(request, folded)
    messages: list[ChatMessage] = [system, *conversation] if system else conversation
    tools = openai_tools(request.tools)
    tool_choice, parallel = openai_tool_choice(request) if tools else (None, None)
    stop = request.stop_sequences or None
    budget = _max_tokens(request, target)
    user = request.metadata.user_id if request.metadata else None
    reasoning = reasoning_fields(request, target)
    translated = ChatCompletionRequest(
        model=target.model,
        messages=[],
        stream=request.stream,
        stream_options=StreamOptions(include_usage=True) if request.stream and target.stream_usage else None,
        max_tokens=budget if target.max_tokens_field == "max_tokens" else None,
        max_completion_tokens=budget if target.max_tokens_field == "max_completion_tokens" else None,
        temperature=request.temperature,
        top_p=request.top_p,
        top_k=request.top_k if target.send_top_k else None,
        stop=stop,
        tools=tools or None,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        user=user,
        reasoning_effort=reasoning.reasoning_effort,
        reasoning=reasoning.reasoning,
        chat_template_kwargs=reasoning.chat_template_kwargs,
    )
    # The turns are models already: validating tens of thousands again is one call holding the GIL.
    translated.messages = messages
    return translated
