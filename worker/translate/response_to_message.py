"""Responses ``Response`` -> Anthropic message or chat completion (non-streaming).

For clients of an ``openai_responses`` upstream. ``reasoning`` items -> thinking blocks with an
empty signature (synthesized: never sent on to Anthropic; ``encrypted_content`` is dropped);
``output_text`` -> text, a ``refusal`` part -> text with ``stop_reason: refusal``;
``function_call`` -> ``tool_use`` (a namespaced call under its flattened name). Hosted-tool items
(``web_search_call``, ...) are left out. ``incomplete`` for ``max_output_tokens`` ->
``max_tokens``. The chat completion is made from the Anthropic message
(:func:`completion_reporting`), so the rules are written once; its usage is read directly,
to keep reasoning tokens.
"""

from __future__ import annotations

from coderouter_supervisor.worker.protocol import (
    ChatCompletion,
    ContentBlock,
    FunctionCallItem,
    Message,
    OutputMessage,
    OutputText,
    ReasoningItem,
    ResponseObject,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)
from coderouter_supervisor.worker.translate.anthropic_response_to_openai import completion_reporting
from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import tool_input
from coderouter_supervisor.worker.translate.responses_tools import flat_name
from coderouter_supervisor.worker.translate.responses_usage import usage_from_responses
from coderouter_supervisor.worker.translate.usage import anthropic_usage, openai_usage


def _blocks(response: ResponseObject) -> tuple[list[ContentBlock], bool]:
    """The content blocks, and whether the model refused."""
    blocks: list[ContentBlock] = []
    refused = False
    for item in response.output:
        if isinstance(item, ReasoningItem):
            thinking = "\n\n".join(summary.text for summary in item.summary)
            if thinking:
                blocks.append(ThinkingBlock(type="thinking", thinking=thinking, signature=""))
        elif isinstance(item, OutputMessage):
            for part in item.content:
                if isinstance(part, OutputText):
                    text = part.text
                else:
                    refusal = (part.model_extra or {}).get("refusal")
                    text = refusal if isinstance(refusal, str) else ""
                    refused = refused or part.type == "refusal"
                if text:
                    blocks.append(TextBlock(type="text", text=text))
        elif isinstance(item, FunctionCallItem):
            name = flat_name(item.name, item.namespace)
            blocks.append(
                ToolUseBlock(
                    type="tool_use", id=tool_use_id(item.call_id), name=name, input=tool_input(item.arguments)
                )
            )
    return blocks or [TextBlock(type="text", text="")], refused


def stop_reason_of(response: ResponseObject, *, called_tool: bool, refused: bool) -> StopReason:
    """Why the response ended, as Anthropic says it."""
    reason = response.incomplete_details.reason if response.incomplete_details else None
    return stop_reason_for(response.status, reason, called_tool=called_tool, refused=refused)


def stop_reason_for(
    status: str, incomplete_reason: str | None, *, called_tool: bool, refused: bool
) -> StopReason:
    """Why a response of ``status`` (incomplete for ``incomplete_reason``) ended, as Anthropic says it."""
    if called_tool:
        return "tool_use"
    if refused or incomplete_reason == "content_filter":
        return "refusal"
    return "max_tokens" if status == "incomplete" else "end_turn"


def response_to_anthropic_message(response: ResponseObject, *, requested_model: str) -> Message:
    """The Anthropic message for ``response``; ``requested_model`` fills a missing ``model``."""
    usage = anthropic_usage(usage_from_responses(response.usage)) if response.usage else Usage()
    return _message(response, requested_model=requested_model, usage=usage)


def _message(response: ResponseObject, *, requested_model: str, usage: Usage) -> Message:
    blocks, refused = _blocks(response)
    called_tool = any(isinstance(block, ToolUseBlock) for block in blocks)
    return Message(
        id=anthropic_message_id(response.id),
        model=response.model or requested_model,
        content=blocks,
        stop_reason=stop_reason_of(response, called_tool=called_tool, refused=refused),
        usage=usage,
    )


def response_to_openai_completion(response: ResponseObject, *, requested_model: str) -> ChatCompletion:
    """The chat completion for ``response``; ``created`` is the response's ``created_at``."""
    message = _message(response, requested_model=requested_model, usage=Usage())
    usage = openai_usage(usage_from_responses(response.usage)) if response.usage else None
    return completion_reporting(message, created=response.created_at, usage=usage)
