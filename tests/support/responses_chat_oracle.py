"""The model-based Responses -> chat request translator that the dict-writing one replaced: a test
oracle only (``responses_request_to_openai_model``), as it was; callers dump it with ``to_wire``."""

from __future__ import annotations

from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    ChatMessage,
    ChatTool,
    ChatToolChoice,
    ContentPart,
    FunctionCall,
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionDefinition,
    ImagePart,
    ImageURL,
    InputItem,
    InputMessage,
    InputPart,
    NamedFunction,
    NamedToolChoice,
    ReasoningItem,
    ResponsesRequest,
    StreamOptions,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from coderouter_supervisor.worker.translate import (
    OpenAITarget,
)
from coderouter_supervisor.worker.translate.responses_parts import readable_part

# The field rules are shared: the oracle is the model-built conversation and body.
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
