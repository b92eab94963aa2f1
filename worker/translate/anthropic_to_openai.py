"""Anthropic Messages request -> OpenAI Chat Completions request (for ``openai_compat`` upstreams).

What is carried over: system (string or blocks, plus folded mid-conversation system turns),
the conversation (see ``anthropic_messages_to_openai``), client tools and ``tool_choice``,
``stop_sequences``, ``max_tokens`` (clamped, in the field the target wants), temperature,
top_p, top_k (when the target takes it), ``metadata.user_id`` -> ``user``, ``thinking`` ->
the target's reasoning control, ``stream`` (+ usage in the stream).

What is dropped, deliberately: ``cache_control`` (no OpenAI meaning), server tools (the
upstream cannot run them), ``output_config``/``context_management``/beta fields and every
other unknown Anthropic field (an OpenAI server would reject or misread them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.protocol import (
    ChatCompletionRequest,
    ChatMessage,
    ChatTool,
    ChatToolChoice,
    FunctionDefinition,
    MessagesRequest,
    NamedFunction,
    NamedToolChoice,
    StreamOptions,
    SystemMessage,
    ThinkingAdaptive,
    ThinkingDisabled,
    ThinkingEnabled,
    ToolChoiceAny,
    ToolChoiceAuto,
    ToolChoiceNone,
    ToolChoiceTool,
    ToolDefinition,
)
from coderouter_supervisor.worker.translate.anthropic_messages_to_openai import (
    conversation_messages,
    text_of_blocks,
)
from coderouter_supervisor.worker.translate.openai_target import OpenAITarget

EMPTY_SCHEMA = {"type": "object", "properties": {}}

# Thinking budgets bucketed into OpenAI efforts.
_LOW_BUDGET = 4096
_MEDIUM_BUDGET = 16384
_EFFORT_BY_ANTHROPIC_EFFORT = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "xhigh": "high",
    "max": "high",
}


def is_client_tool(tool: ToolDefinition) -> bool:
    return tool.input_schema is not None or tool.type in (None, "custom")


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


def thinking_effort(request: MessagesRequest) -> str | None:
    """The OpenAI reasoning effort for the request's thinking (budgets bucketed, an adaptive
    request's own effort); None when it does not think."""
    thinking = request.thinking
    if isinstance(thinking, ThinkingEnabled):
        if thinking.budget_tokens < _LOW_BUDGET:
            return "low"
        return "medium" if thinking.budget_tokens < _MEDIUM_BUDGET else "high"
    if isinstance(thinking, ThinkingAdaptive):
        asked = (request.output_config or {}).get("effort")
        return _EFFORT_BY_ANTHROPIC_EFFORT.get(asked, "medium") if isinstance(asked, str) else "medium"
    return None


@dataclass(frozen=True)
class ReasoningFields:
    """The request fields that carry a thinking request; at most one is set."""

    reasoning_effort: str | None = None
    reasoning: dict[str, Any] | None = None
    chat_template_kwargs: dict[str, Any] | None = None


def reasoning_fields(request: MessagesRequest, target: OpenAITarget) -> ReasoningFields:
    """How to ask ``target`` to think as ``request.thinking`` asks (nothing when it can't)."""
    thinking = request.thinking
    if thinking is None or target.reasoning_control == "none":
        return ReasoningFields()
    if target.reasoning_control == "chat_template_kwargs":
        return ReasoningFields(
            chat_template_kwargs={"enable_thinking": not isinstance(thinking, ThinkingDisabled)}
        )
    effort = thinking_effort(request)
    if effort is None:
        return ReasoningFields()
    if target.reasoning_control == "reasoning_effort":
        return ReasoningFields(reasoning_effort=effort)
    if isinstance(thinking, ThinkingEnabled):
        return ReasoningFields(reasoning={"max_tokens": thinking.budget_tokens})
    return ReasoningFields(reasoning={"effort": effort})


def _system_message(request: MessagesRequest, folded: list[str]) -> SystemMessage | None:
    texts = [text_of_blocks(request.system, "\n\n"), *folded]
    text = "\n\n".join(part for part in texts if part)
    return SystemMessage(role="system", content=text) if text else None


def _max_tokens(request: MessagesRequest, target: OpenAITarget) -> int:
    if target.max_tokens_cap is None:
        return request.max_tokens
    return min(request.max_tokens, target.max_tokens_cap)


def anthropic_request_to_openai(request: MessagesRequest, target: OpenAITarget) -> ChatCompletionRequest:
    """The OpenAI request that asks ``target`` what ``request`` asks; see the module docstring."""
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
