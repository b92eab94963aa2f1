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
    MessagesRequest,
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


def openai_tools(tools: list[ToolDefinition] | None) -> list[dict[str, Any]]:
    """Client tools as OpenAI functions; server tools (web search ...) are left out."""
    chat_tools: list[dict[str, Any]] = []
    for tool in tools or []:
        if not is_client_tool(tool):
            continue
        function: dict[str, Any] = {"name": tool.name}
        if tool.description is not None:
            function["description"] = tool.description
        function["parameters"] = tool.input_schema or EMPTY_SCHEMA
        chat_tools.append({"type": "function", "function": function})
    return chat_tools


def openai_tool_choice(request: MessagesRequest) -> tuple[str | dict[str, Any] | None, bool | None]:
    """``(tool_choice, parallel_tool_calls)``: auto/any/tool/none -> auto/required/function/none."""
    choice = request.tool_choice
    parallel = False if getattr(choice, "disable_parallel_tool_use", None) else None
    if isinstance(choice, ToolChoiceAuto):
        return "auto", parallel
    if isinstance(choice, ToolChoiceAny):
        return "required", parallel
    if isinstance(choice, ToolChoiceTool):
        return {"type": "function", "function": {"name": choice.name}}, parallel
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


def _system_text(request: MessagesRequest, folded: list[str]) -> str:
    texts = [text_of_blocks(request.system, "\n\n"), *folded]
    return "\n\n".join(part for part in texts if part)


def _max_tokens(request: MessagesRequest, target: OpenAITarget) -> int:
    if target.max_tokens_cap is None:
        return request.max_tokens
    return min(request.max_tokens, target.max_tokens_cap)


def anthropic_request_to_openai(request: MessagesRequest, target: OpenAITarget) -> dict[str, Any]:
    """The OpenAI request body that asks ``target`` what ``request`` asks; see the module docstring.

    A fresh dict with fresh messages, fields absent rather than null; JSON values taken whole from
    the request (tool schemas) are shared with it, so callers must not change them in place."""
    conversation, folded = conversation_messages(
        request.messages,
        replay_reasoning=target.replay_reasoning,
        fold_system_messages=target.fold_system_messages,
    )
    system = _system_text(request, folded)
    messages = [{"role": "system", "content": system}, *conversation] if system else conversation
    tools = openai_tools(request.tools)
    tool_choice, parallel = openai_tool_choice(request) if tools else (None, None)
    budget = _max_tokens(request, target)
    reasoning = reasoning_fields(request, target)
    fields: dict[str, Any] = {
        "model": target.model,
        "messages": messages,
        "stream": request.stream,
        "stream_options": {"include_usage": True} if request.stream and target.stream_usage else None,
        "max_tokens": budget if target.max_tokens_field == "max_tokens" else None,
        "max_completion_tokens": budget if target.max_tokens_field == "max_completion_tokens" else None,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stop": list(request.stop_sequences) if request.stop_sequences else None,
        "tools": tools or None,
        "tool_choice": tool_choice,
        "parallel_tool_calls": parallel,
        "reasoning_effort": reasoning.reasoning_effort,
        "user": request.metadata.user_id if request.metadata else None,
        "top_k": request.top_k if target.send_top_k else None,
        "reasoning": reasoning.reasoning,
        "chat_template_kwargs": reasoning.chat_template_kwargs,
    }
    return {name: value for name, value in fields.items() if value is not None}
