"""The model-based request translators that the direct, dict-writing ones replaced: test oracles only.

Each builds the upstream protocol's pydantic request model and is dumped with ``to_wire``, as the
gateway did before; the oracle tests check that the package's translator writes the same body.
"""

from __future__ import annotations

from typing import Any, Literal

from coderouter_supervisor.worker.adapters.openai_compat_upstream import (
    openai_messages_with_suffix,
    openai_target,
)
from coderouter_supervisor.worker.adapters.upstream_kind import PROFILE_FIELD, with_extra_body
from coderouter_supervisor.worker.money import is_priced
from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    ChatMessage,
    ChatTool,
    ChatToolChoice,
    ContentBlock,
    ContentPart,
    DeveloperMessage,
    FunctionCall,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionDefinition,
    FunctionTool,
    FunctionToolChoice,
    ImageBlock,
    ImagePart,
    ImageURL,
    InputImage,
    InputItem,
    InputMessage,
    InputPart,
    InputText,
    MessageParam,
    MessagesRequest,
    NamedFunction,
    NamedToolChoice,
    OutputText,
    ReasoningConfig,
    ReasoningItem,
    ResponsesRequest,
    ResponsesTool,
    ResponsesToolChoice,
    StreamOptions,
    SystemMessage,
    TextBlock,
    TextPart,
    ToolCall,
    ToolMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from coderouter_supervisor.worker.providers import ProviderCall
from coderouter_supervisor.worker.translate import (
    OpenAITarget,
    responses_output_limit,
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
from coderouter_supervisor.worker.translate.openai_to_responses import _text_format
from coderouter_supervisor.worker.translate.responses_parts import readable_part
from coderouter_supervisor.worker.translate.responses_to_openai import (
    _max_tokens,
    _reasoning,
    _response_format,
)
from coderouter_supervisor.worker.translate.responses_tools import (
    FlatTools,
    ForcedTool,
    ToolNames,
    flat_tool_choice,
    flatten_tools,
)

from support.anthropic_chat_oracle import anthropic_request_to_openai_model


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


def responses_upstream_body_model(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Responses upstream body from a request model, as ``responses_upstream_body`` built it."""
    body = request.to_wire()
    body.pop(PROFILE_FIELD, None)
    body["model"] = call.provider.model
    suffix = call.system_suffix
    instructions = request.instructions
    if suffix:
        instructions = f"{instructions}\n{suffix}" if instructions else suffix
    if instructions is not None:
        body["instructions"] = instructions
    if is_priced(call.provider.cost) and body.get("max_output_tokens") is None:
        body["max_output_tokens"] = responses_output_limit(request)
    return with_extra_body(body, call.provider)


def chat_on_responses_body_model(request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
    """The OpenAI-client -> Responses-upstream body, as that adapter built it from models."""
    translated = openai_request_to_responses_model(request, model=call.provider.model)
    if translated.max_output_tokens is None and is_priced(call.provider.cost):
        translated.max_output_tokens = openai_output_limit(request)
    return responses_upstream_body_model(translated, call)


def anthropic_on_responses_body_model(request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Anthropic-client -> Responses-upstream body, as that adapter built it from models."""
    target = OpenAITarget(
        model=call.provider.model,
        max_tokens_field="max_completion_tokens",
        reasoning_control="reasoning_effort",
        fold_system_messages=False,
    )
    chat = anthropic_request_to_openai_model(request, target)
    return responses_upstream_body_model(
        openai_request_to_responses_model(chat, model=call.provider.model), call
    )


def _r2o_part(part: InputPart) -> ContentPart | None:
    readable = readable_part(part)
    if readable is None:
        return None
    if isinstance(readable, str):
        return TextPart(type="text", text=readable)
    image = ImageURL(url=readable.image_url or "", detail=readable.detail)
    return ImagePart(type="image_url", image_url=image)


def _r2o_parts(content: str | list[InputPart]) -> list[ContentPart]:
    if isinstance(content, str):
        return [TextPart(type="text", text=content)]
    return [converted for part in content if (converted := _r2o_part(part)) is not None]


def _r2o_plain(parts: list[ContentPart]) -> str | list[ContentPart]:
    """Plain text as a string (every chat template understands it), otherwise a part list."""
    if all(isinstance(part, TextPart) for part in parts):
        return "\n".join(part.text for part in parts if isinstance(part, TextPart))
    return parts


def _r2o_text(parts: list[ContentPart]) -> str:
    return "\n".join(part.text for part in parts if isinstance(part, TextPart))


class _R2OConversation:
    """Collects chat messages; the assistant side of a turn accumulates until something else comes."""

    def __init__(self, target: OpenAITarget, names: ToolNames) -> None:
        self._target = target
        self._names = names
        self.system: list[str] = []
        self.messages: list[ChatMessage] = []
        self._texts: list[str] = []
        self._reasoning: list[str] = []
        self._calls: list[ToolCall] = []

    def add(self, item: InputItem) -> None:
        if isinstance(item, InputMessage):
            self._message(item)
        elif isinstance(item, FunctionCallItem):
            name = self._names.flat(item.name, item.namespace)
            self._calls.append(
                ToolCall(id=item.call_id, function=FunctionCall(name=name, arguments=item.arguments))
            )
        elif isinstance(item, FunctionCallOutputItem):
            self._tool_result(item)
        elif isinstance(item, ReasoningItem) and self._target.replay_reasoning:
            self._reasoning.extend(summary.text for summary in item.summary)

    def _message(self, message: InputMessage) -> None:
        parts = _r2o_parts(message.content)
        if message.role == "assistant":
            self._texts.append(_r2o_text(parts))
            return
        self.flush_assistant()
        if message.role in ("developer", "system"):
            if self._target.fold_system_messages:
                self.system.append(_r2o_text(parts))
            else:
                self.messages.append(SystemMessage(role="system", content=_r2o_text(parts)))
        elif parts:
            self.messages.append(UserMessage(role="user", content=_r2o_plain(parts)))

    def _tool_result(self, item: FunctionCallOutputItem) -> None:
        self.flush_assistant()
        parts = _r2o_parts(item.output)
        images: list[ContentPart] = [part for part in parts if not isinstance(part, TextPart)]
        self.messages.append(ToolMessage(role="tool", tool_call_id=item.call_id, content=_r2o_text(parts)))
        if images:
            # A tool message carries text only; its images follow as the user's.
            self.messages.append(UserMessage(role="user", content=images))

    def flush_assistant(self) -> None:
        if not (self._texts or self._calls or self._reasoning):
            return
        text = "".join(self._texts)
        self.messages.append(
            AssistantMessage(
                role="assistant",
                content=text if text or not self._calls else None,
                tool_calls=self._calls or None,
                reasoning_content="\n\n".join(self._reasoning) or None,
            )
        )
        self._texts, self._reasoning, self._calls = [], [], []


def _r2o_tools(flat: FlatTools) -> list[ChatTool]:
    return [
        ChatTool(
            type="function",
            function=FunctionDefinition(
                name=tool.name,
                description=tool.description,
                parameters=tool.parameters or {"type": "object", "properties": {}},
                strict=tool.strict,
            ),
        )
        for tool in flat.functions
    ]


def _r2o_tool_choice(request: ResponsesRequest, names: ToolNames) -> ChatToolChoice | None:
    choice = flat_tool_choice(request.tool_choice, names)
    if isinstance(choice, ForcedTool):
        return NamedToolChoice(type="function", function=NamedFunction(name=choice.name))
    return choice


def responses_request_to_openai_model(
    request: ResponsesRequest, target: OpenAITarget
) -> ChatCompletionRequest:
    """The chat request model for a Responses request, as ``responses_request_to_openai`` built it."""
    flat = flatten_tools(request.tools)
    conversation = _R2OConversation(target, flat.names)
    if request.instructions:
        conversation.system.append(request.instructions)
    items = (
        [InputMessage(role="user", content=request.input)]
        if isinstance(request.input, str)
        else request.input
    )
    for item in items or []:
        conversation.add(item)
    conversation.flush_assistant()
    system = "\n\n".join(text for text in conversation.system if text)
    messages: list[ChatMessage] = [SystemMessage(role="system", content=system)] if system else []
    messages.extend(conversation.messages)
    tools = _r2o_tools(flat)
    budget = _max_tokens(request, target)
    translated = ChatCompletionRequest(
        model=target.model,
        messages=[],
        stream=request.stream,
        stream_options=StreamOptions(include_usage=True) if request.stream and target.stream_usage else None,
        max_tokens=budget if target.max_tokens_field == "max_tokens" else None,
        max_completion_tokens=budget if target.max_tokens_field == "max_completion_tokens" else None,
        temperature=request.temperature,
        top_p=request.top_p,
        tools=tools or None,
        tool_choice=_r2o_tool_choice(request, flat.names) if tools else None,
        parallel_tool_calls=request.parallel_tool_calls if tools else None,
        response_format=_response_format(request),
        user=request.user,
        **_reasoning(request, target),
    )
    translated.messages = messages
    return translated


def responses_on_chat_body_model(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Responses-client -> chat-upstream body, as that adapter built it from models."""
    chat = responses_request_to_openai_model(request, openai_target(call.provider))
    if is_priced(call.provider.cost) and chat.max_tokens is None and chat.max_completion_tokens is None:
        chat.max_tokens = responses_output_limit(request)
    body = chat.to_wire()
    body["messages"] = openai_messages_with_suffix(body["messages"], call.system_suffix)
    return with_extra_body(body, call.provider)


def anthropic_on_chat_body_model(request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Anthropic-client -> chat-upstream body, as that adapter built it from models."""
    body = anthropic_request_to_openai_model(request, openai_target(call.provider)).to_wire()
    body.pop(PROFILE_FIELD, None)
    body["messages"] = openai_messages_with_suffix(body["messages"], call.system_suffix)
    return with_extra_body(body, call.provider)
