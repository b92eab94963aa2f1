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

Written straight into the wire dict, no chat models in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.protocol import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputItem,
    InputMessage,
    InputPart,
    ReasoningItem,
    ResponsesRequest,
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

Part = dict[str, Any]
Message = dict[str, Any]


@dataclass(frozen=True)
class ChatTranslation:
    """The chat request body, how to name its tool calls back, and the hosted tools left out."""

    body: dict[str, Any]
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


def _part(part: InputPart) -> Part | None:
    readable = readable_part(part)
    if readable is None:
        return None
    if isinstance(readable, str):
        return {"type": "text", "text": readable}
    image: dict[str, Any] = {"url": readable.image_url or ""}
    if readable.detail is not None:
        image["detail"] = readable.detail
    return {"type": "image_url", "image_url": image}


def _parts(content: str | list[InputPart]) -> list[Part]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [converted for part in content if (converted := _part(part)) is not None]


def _plain(parts: list[Part]) -> str | list[Part]:
    """Plain text as a string (every chat template understands it), otherwise a part list."""
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _text(parts: list[Part]) -> str:
    return "\n".join(part["text"] for part in parts if part["type"] == "text")


class _Conversation:
    """Collects chat messages; the assistant side of a turn accumulates until something else comes."""

    def __init__(self, target: OpenAITarget, names: ToolNames) -> None:
        self._target = target
        self._names = names
        self.system: list[str] = []
        self.messages: list[Message] = []
        self._texts: list[str] = []
        self._reasoning: list[str] = []
        self._calls: list[dict[str, Any]] = []

    def add(self, item: InputItem) -> None:
        if isinstance(item, InputMessage):
            self._message(item)
        elif isinstance(item, FunctionCallItem):
            name = self._names.flat(item.name, item.namespace)
            self._calls.append(
                {
                    "id": item.call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": item.arguments},
                }
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
                self.messages.append({"role": "system", "content": _text(parts)})
        elif parts:
            self.messages.append({"role": "user", "content": _plain(parts)})

    def _tool_result(self, item: FunctionCallOutputItem) -> None:
        self.flush_assistant()
        parts = _parts(item.output)
        images = [part for part in parts if part["type"] != "text"]
        self.messages.append({"role": "tool", "tool_call_id": item.call_id, "content": _text(parts)})
        if images:
            # A tool message carries text only; its images follow as the user's.
            self.messages.append({"role": "user", "content": images})

    def flush_assistant(self) -> None:
        if not (self._texts or self._calls or self._reasoning):
            return
        text = "".join(self._texts)
        message: Message = {"role": "assistant"}
        if text or not self._calls:
            message["content"] = text
        if self._calls:
            message["tool_calls"] = self._calls
        if reasoning := "\n\n".join(self._reasoning):
            message["reasoning_content"] = reasoning
        self.messages.append(message)
        self._texts, self._reasoning, self._calls = [], [], []


def _tools(flat: FlatTools) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    for tool in flat.functions:
        function: dict[str, Any] = {"name": tool.name}
        if tool.description is not None:
            function["description"] = tool.description
        function["parameters"] = tool.parameters or _EMPTY_SCHEMA
        if tool.strict is not None:
            function["strict"] = tool.strict
        tools.append({"type": "function", "function": function})
    return tools


def _tool_choice(request: ResponsesRequest, names: ToolNames) -> str | dict[str, Any] | None:
    choice = flat_tool_choice(request.tool_choice, names)
    if isinstance(choice, ForcedTool):
        return {"type": "function", "function": {"name": choice.name}}
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


def responses_request_to_openai(
    request: ResponsesRequest, target: OpenAITarget, *, limit_when_unset: int | None = None
) -> ChatTranslation:
    """The chat request body that asks ``target`` what ``request`` asks; see the module docstring.
    ``limit_when_unset`` is the ``max_tokens`` sent when the request sets no output limit.

    The body is a fresh dict with fresh messages, fields absent rather than null; JSON values taken
    whole from the request (tool schemas, the text format's schema) are shared with it, so callers
    must not change them in place."""
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
    messages: list[Message] = [{"role": "system", "content": system}] if system else []
    messages.extend(conversation.messages)
    tools = _tools(flat)
    reasoning = _reasoning(request, target)
    budget = _max_tokens(request, target)
    max_tokens = budget if target.max_tokens_field == "max_tokens" else None
    max_completion_tokens = budget if target.max_tokens_field == "max_completion_tokens" else None
    if max_tokens is None and max_completion_tokens is None:
        max_tokens = limit_when_unset
    fields: dict[str, Any] = {
        "model": target.model,
        "messages": messages,
        "stream": request.stream,
        "stream_options": {"include_usage": True} if request.stream and target.stream_usage else None,
        "max_tokens": max_tokens,
        "max_completion_tokens": max_completion_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "tools": tools or None,
        "tool_choice": _tool_choice(request, flat.names) if tools else None,
        "parallel_tool_calls": request.parallel_tool_calls if tools else None,
        "response_format": _response_format(request),
        "reasoning_effort": reasoning.get("reasoning_effort"),
        "user": request.user,
        "reasoning": reasoning.get("reasoning"),
        "chat_template_kwargs": reasoning.get("chat_template_kwargs"),
    }
    body = {name: value for name, value in fields.items() if value is not None}
    return ChatTranslation(body, flat.names, flat.dropped)
