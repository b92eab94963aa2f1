"""OpenAI Responses request -> Chat Completions request (for ``openai_compat`` upstreams).

Carried over: ``instructions`` and ``developer``/``system`` messages -> system messages (one
leading message when the target folds them); user text and images; the assistant side of a
turn (assistant text, ``function_call`` items, reasoning summaries when the target replays
reasoning) -> one assistant message with ``tool_calls``; each ``function_call_output`` -> a
``role: tool`` message (images in it follow in a user message); function tools, namespace
members flattened (:mod:`responses_tools`); ``tool_choice``, ``parallel_tool_calls``;
``max_output_tokens`` (clamped, in the field the target wants); temperature, top_p, ``user``;
``reasoning.effort`` -> the target's reasoning control; ``text.format`` -> ``response_format``.

Dropped, deliberately: hosted tools (reported in :attr:`ChatTranslation.dropped_tools`);
``encrypted_content`` of reasoning items (opaque outside the upstream kind that made it);
unknown items (``item_reference``, ``custom_tool_call``, ...); ``store``, ``include``,
``prompt_cache_key``, ``metadata``/``client_metadata`` and other Responses-only fields.
``previous_response_id`` and ``store: true`` cannot be honoured here:
:func:`stateful_responses_fields` names them so the caller can refuse the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from coderouter_supervisor.worker.translate.openai_target import OpenAITarget
from coderouter_supervisor.worker.translate.openai_to_anthropic import DEFAULT_MAX_TOKENS
from coderouter_supervisor.worker.translate.responses_parts import readable_part
from coderouter_supervisor.worker.translate.responses_tools import (
    FlatTools,
    ForcedTool,
    ToolNames,
    flat_tool_choice,
    flatten_tools,
)

_EMPTY_SCHEMA = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class ChatTranslation:
    """The chat request, how to name its tool calls back, and the hosted tools left out."""

    request: ChatCompletionRequest
    tool_names: ToolNames
    dropped_tools: tuple[str, ...]


def responses_output_limit(request: ResponsesRequest) -> int:
    """The output limit a Responses request asks for, or :data:`DEFAULT_MAX_TOKENS` when it gives
    none (what a priced provider is sent, and what budget holds reserve), as for chat requests."""
    return request.max_output_tokens or DEFAULT_MAX_TOKENS


def stateful_responses_fields(request: ResponsesRequest) -> tuple[str, ...]:
    """Fields asking for server-side state, which only a Responses upstream can keep."""
    fields: list[str] = []
    if request.previous_response_id:
        fields.append("previous_response_id")
    if request.store:
        fields.append("store")
    return tuple(fields)


def _part(part: InputPart) -> ContentPart | None:
    readable = readable_part(part)
    if readable is None:
        return None
    if isinstance(readable, str):
        return TextPart(type="text", text=readable)
    image = ImageURL(url=readable.image_url or "", detail=readable.detail)
    return ImagePart(type="image_url", image_url=image)


def _parts(content: str | list[InputPart]) -> list[ContentPart]:
    if isinstance(content, str):
        return [TextPart(type="text", text=content)]
    return [converted for part in content if (converted := _part(part)) is not None]


def _plain(parts: list[ContentPart]) -> str | list[ContentPart]:
    """Plain text as a string (every chat template understands it), otherwise a part list."""
    if all(isinstance(part, TextPart) for part in parts):
        return "\n".join(part.text for part in parts if isinstance(part, TextPart))
    return parts


def _text(parts: list[ContentPart]) -> str:
    return "\n".join(part.text for part in parts if isinstance(part, TextPart))


class _Conversation:
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
        parts = _parts(message.content)
        if message.role == "assistant":
            self._texts.append(_text(parts))
            return
        self.flush_assistant()
        if message.role in ("developer", "system"):
            if self._target.fold_system_messages:
                self.system.append(_text(parts))
            else:
                self.messages.append(SystemMessage(role="system", content=_text(parts)))
        elif parts:
            self.messages.append(UserMessage(role="user", content=_plain(parts)))

    def _tool_result(self, item: FunctionCallOutputItem) -> None:
        self.flush_assistant()
        parts = _parts(item.output)
        images: list[ContentPart] = [part for part in parts if not isinstance(part, TextPart)]
        self.messages.append(ToolMessage(role="tool", tool_call_id=item.call_id, content=_text(parts)))
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


def _tools(flat: FlatTools) -> list[ChatTool]:
    return [
        ChatTool(
            type="function",
            function=FunctionDefinition(
                name=tool.name,
                description=tool.description,
                parameters=tool.parameters or _EMPTY_SCHEMA,
                strict=tool.strict,
            ),
        )
        for tool in flat.functions
    ]


def _tool_choice(request: ResponsesRequest, names: ToolNames) -> ChatToolChoice | None:
    choice = flat_tool_choice(request.tool_choice, names)
    if isinstance(choice, ForcedTool):
        return NamedToolChoice(type="function", function=NamedFunction(name=choice.name))
    return choice


def _reasoning(request: ResponsesRequest, target: OpenAITarget) -> dict[str, Any]:
    effort = request.reasoning.effort if request.reasoning else None
    if effort is None or target.reasoning_control == "none":
        return {}
    if target.reasoning_control == "chat_template_kwargs":
        return {"chat_template_kwargs": {"enable_thinking": effort != "none"}}
    if target.reasoning_control == "openrouter":
        return {"reasoning": {"effort": effort}}
    return {"reasoning_effort": effort}


def _response_format(request: ResponsesRequest) -> dict[str, Any] | None:
    text_format = (request.text or {}).get("format")
    if not isinstance(text_format, dict):
        return None
    if text_format.get("type") == "json_object":
        return {"type": "json_object"}
    if text_format.get("type") != "json_schema":
        return None
    schema = {key: value for key, value in text_format.items() if key in ("name", "schema", "strict")}
    return {"type": "json_schema", "json_schema": schema}


def _max_tokens(request: ResponsesRequest, target: OpenAITarget) -> int | None:
    limit = request.max_output_tokens
    if limit is None or target.max_tokens_cap is None:
        return limit
    return min(limit, target.max_tokens_cap)


def responses_request_to_openai(request: ResponsesRequest, target: OpenAITarget) -> ChatTranslation:
    """The chat request that asks ``target`` what ``request`` asks; see the module docstring."""
    flat = flatten_tools(request.tools)
    conversation = _Conversation(target, flat.names)
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
    tools = _tools(flat)
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
        tool_choice=_tool_choice(request, flat.names) if tools else None,
        parallel_tool_calls=request.parallel_tool_calls if tools else None,
        response_format=_response_format(request),
        user=request.user,
        **_reasoning(request, target),
    )
    translated.messages = messages
    return ChatTranslation(translated, flat.names, flat.dropped)
