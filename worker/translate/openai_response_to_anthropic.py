"""OpenAI chat completion -> Anthropic message (non-streaming).

Only ``choices[0]`` is read (Anthropic has no ``n``). Blocks come in Anthropic's order:
thinking, text, tool_use. Reasoning from ``reasoning_content`` or ``reasoning`` becomes a
thinking block with an empty signature, which marks it as synthesized: it must never be
sent on to an Anthropic upstream (see ``thinking_hygiene``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from coderouter_supervisor.worker.protocol import (
    ChatCompletion,
    CompletionMessage,
    CompletionToolCall,
    ContentBlock,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)
from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.stop_reasons import stop_reason_from_finish
from coderouter_supervisor.worker.translate.usage import anthropic_usage, usage_from_openai

RAW_ARGUMENTS_KEY = "_raw_arguments"
"""Where tool arguments that are not a JSON object are kept, so nothing is lost silently."""


def _finite_or_null(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


# JSON has no NaN or Infinity (nor a number too large for a float): a model writing one gets null,
# as a JSON writer would send it, rather than an upstream refusing every later turn that replays it.
_ARGUMENTS = json.JSONDecoder(parse_constant=lambda _: None, parse_float=_finite_or_null)


def tool_input(arguments: str | dict[str, Any]) -> dict[str, Any]:
    """The tool input object for OpenAI ``arguments`` (a JSON string, or an object some servers send)."""
    if isinstance(arguments, dict):
        return arguments
    if not arguments.strip():
        return {}
    try:
        parsed = _ARGUMENTS.decode(arguments)
    except ValueError:
        return {RAW_ARGUMENTS_KEY: arguments}
    return parsed if isinstance(parsed, dict) else {RAW_ARGUMENTS_KEY: arguments}


def reasoning_text(message: CompletionMessage) -> str:
    return message.reasoning_content or message.reasoning or ""


def _tool_use(call: CompletionToolCall) -> ToolUseBlock:
    return ToolUseBlock(
        type="tool_use",
        id=tool_use_id(call.id),
        name=call.function.name,
        input=tool_input(call.function.arguments),
    )


def anthropic_content(message: CompletionMessage) -> list[ContentBlock]:
    """Thinking, then text (or the refusal), then tool_use blocks; one empty text block if none."""
    blocks: list[ContentBlock] = []
    reasoning = reasoning_text(message)
    if reasoning:
        blocks.append(ThinkingBlock(type="thinking", thinking=reasoning, signature=""))
    text = message.content or message.refusal or ""
    if text:
        blocks.append(TextBlock(type="text", text=text))
    blocks.extend(_tool_use(call) for call in message.tool_calls or [])
    if not blocks:
        blocks.append(TextBlock(type="text", text=""))
    return blocks


def openai_completion_to_anthropic(completion: ChatCompletion, *, requested_model: str) -> Message:
    """The Anthropic message for ``completion``; ``requested_model`` fills a missing ``model``."""
    usage = anthropic_usage(usage_from_openai(completion.usage)) if completion.usage else Usage()
    return message_reporting(completion, requested_model=requested_model, usage=usage)


def message_reporting(completion: ChatCompletion, *, requested_model: str, usage: Usage) -> Message:
    """The Anthropic message for ``completion`` with ``usage`` (for a caller that reports the
    upstream's usage in another form, so the message's own is not worked out for nothing)."""
    choice = completion.choices[0] if completion.choices else None
    message = choice.message if choice else CompletionMessage()
    content = anthropic_content(message)
    emitted_tool_use = any(isinstance(block, ToolUseBlock) for block in content)
    stop_reason = stop_reason_from_finish(
        choice.finish_reason if choice else None, emitted_tool_use=emitted_tool_use
    )
    if message.refusal and not message.content and not emitted_tool_use:
        stop_reason = "refusal"
    return Message(
        id=anthropic_message_id(completion.id),
        model=completion.model or requested_model,
        content=content,
        stop_reason=stop_reason,
        usage=usage,
    )
