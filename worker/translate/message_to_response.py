"""Anthropic message or chat completion -> Responses ``Response`` (non-streaming).

Items come in the message's block order: thinking -> a ``reasoning`` item whose summary is the
thinking text and whose ``encrypted_content`` carries a signed block back to Anthropic
(:mod:`anthropic_reasoning`; redacted thinking travels there alone); text -> one ``message``
item with ``output_text``; ``tool_use`` -> a ``function_call`` item (``call_id`` the block id,
arguments as JSON, the name mapped back to the client's namespace and name). Server-tool blocks
have no Responses form and are left out. ``max_tokens`` makes the response ``incomplete``
(``max_output_tokens``), a ``refusal`` ``incomplete`` (``content_filter``). A chat completion
goes through :func:`message_reporting` first, so the rules are written once; its
usage is read directly, to keep reasoning tokens.
"""

from __future__ import annotations

import json
from typing import Any

from coderouter_supervisor.worker.protocol import (
    ChatCompletion,
    FunctionCallItem,
    IncompleteDetails,
    Message,
    OutputItem,
    OutputMessage,
    OutputText,
    ReasoningItem,
    RedactedThinkingBlock,
    ResponseObject,
    ResponseUsage,
    SummaryText,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)
from coderouter_supervisor.worker.translate.anthropic_reasoning import pack_thinking
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import message_reporting
from coderouter_supervisor.worker.translate.responses_ids import item_id, response_id
from coderouter_supervisor.worker.translate.responses_tools import ToolNames
from coderouter_supervisor.worker.translate.responses_usage import responses_usage
from coderouter_supervisor.worker.translate.usage import usage_from_anthropic, usage_from_openai

INCOMPLETE_BY_STOP = {
    "max_tokens": "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    "refusal": "content_filter",
}


def function_call_item(call_id: str, flat_name: str, arguments: str, names: ToolNames) -> FunctionCallItem:
    """A completed ``function_call`` under the name (and namespace) the client declared."""
    return FunctionCallItem.model_validate(function_call_fields(call_id, flat_name, arguments, names))


def function_call_fields(call_id: str, flat_name: str, arguments: str, names: ToolNames) -> dict[str, Any]:
    """The wire form of :func:`function_call_item` (what its ``to_wire`` gives), without the model."""
    declared = names.client_name(flat_name)
    fields: dict[str, Any] = {
        "type": "function_call",
        "call_id": call_id,
        "name": declared.name,
        "arguments": arguments,
    }
    if declared.namespace is not None:
        fields["namespace"] = declared.namespace
    fields["id"] = item_id("function_call")
    fields["status"] = "completed"
    return fields


def _reasoning_item(block: ThinkingBlock | RedactedThinkingBlock) -> ReasoningItem | None:
    text = block.thinking if isinstance(block, ThinkingBlock) else ""
    packed = pack_thinking(block)
    if not (text or packed):
        return None
    summary = [SummaryText(text=text)] if text else []
    return ReasoningItem(type="reasoning", id=item_id("reasoning"), summary=summary, encrypted_content=packed)


def _output(message: Message, names: ToolNames) -> list[OutputItem]:
    items: list[OutputItem] = []
    texts: list[OutputText] = []
    for block in message.content:
        if isinstance(block, ThinkingBlock | RedactedThinkingBlock):
            reasoning = _reasoning_item(block)
            if reasoning is not None:
                items.append(reasoning)
        elif isinstance(block, TextBlock) and block.text:
            texts.append(OutputText(type="output_text", text=block.text, annotations=[]))
        elif isinstance(block, ToolUseBlock):
            arguments = json.dumps(block.input, ensure_ascii=False)
            items.append(function_call_item(block.id, block.name, arguments, names))
    if texts:
        # One message holds the answer's text; it comes before the calls, as the model wrote it.
        first_call = next(
            (i for i, item in enumerate(items) if isinstance(item, FunctionCallItem)), len(items)
        )
        items.insert(first_call, OutputMessage(id=item_id("message"), content=list(texts)))
    return items


def anthropic_message_to_response(
    message: Message, *, created_at: int, tool_names: ToolNames | None = None
) -> ResponseObject:
    """The Response for ``message``; ``created_at`` is the caller's clock (Unix seconds)."""
    usage = responses_usage(usage_from_anthropic(message.usage))
    return _response(message, created_at=created_at, tool_names=tool_names, usage=usage)


def _response(
    message: Message, *, created_at: int, tool_names: ToolNames | None, usage: ResponseUsage | None
) -> ResponseObject:
    reason = INCOMPLETE_BY_STOP.get(message.stop_reason or "")
    return ResponseObject(
        id=response_id(message.id),
        created_at=created_at,
        model=message.model,
        status="incomplete" if reason else "completed",
        output=_output(message, tool_names or ToolNames()),
        usage=usage,
        incomplete_details=IncompleteDetails(reason=reason) if reason else None,
    )


def openai_completion_to_response(
    completion: ChatCompletion, *, requested_model: str, created_at: int, tool_names: ToolNames | None = None
) -> ResponseObject:
    """The Response for ``completion``; ``requested_model`` fills a missing ``model``."""
    message = message_reporting(completion, requested_model=requested_model, usage=Usage())
    # An upstream that reported nothing gets ``usage: null`` (which clients accept), not zeros.
    usage = responses_usage(usage_from_openai(completion.usage)) if completion.usage else None
    return _response(message, created_at=created_at, tool_names=tool_names, usage=usage)
