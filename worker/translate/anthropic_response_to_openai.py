"""Anthropic message -> OpenAI chat completion (non-streaming).

Text blocks join into ``content``; ``tool_use`` blocks become ``tool_calls``; thinking
becomes ``reasoning_content`` (what DeepSeek-style clients read; others ignore it). Server
tool blocks and redacted thinking have no OpenAI form and are left out. Every
``stop_reason``, including ``refusal`` and ``pause_turn``, maps to a finish reason.
"""

from __future__ import annotations

import json

from coderouter_supervisor.worker.protocol import (
    ChatCompletion,
    Choice,
    CompletionFunction,
    CompletionMessage,
    CompletionToolCall,
    CompletionUsage,
    Message,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from coderouter_supervisor.worker.translate.ids import completion_id, tool_call_id
from coderouter_supervisor.worker.translate.stop_reasons import finish_reason_from_stop
from coderouter_supervisor.worker.translate.usage import openai_usage, usage_from_anthropic


def openai_message(message: Message) -> CompletionMessage:
    texts: list[str] = []
    reasoning: list[str] = []
    calls: list[CompletionToolCall] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ThinkingBlock):
            reasoning.append(block.thinking)
        elif isinstance(block, ToolUseBlock):
            arguments = json.dumps(block.input, ensure_ascii=False)
            function = CompletionFunction(name=block.name, arguments=arguments)
            calls.append(CompletionToolCall(id=tool_call_id(block.id), function=function))
    return CompletionMessage(
        content="".join(texts) if texts else None,
        tool_calls=calls or None,
        reasoning_content="".join(reasoning) if reasoning else None,
    )


def anthropic_message_to_openai(message: Message, *, created: int) -> ChatCompletion:
    """The OpenAI completion for ``message``; ``created`` is the caller's clock (Unix seconds)."""
    usage = openai_usage(usage_from_anthropic(message.usage))
    return completion_reporting(message, created=created, usage=usage)


def completion_reporting(message: Message, *, created: int, usage: CompletionUsage | None) -> ChatCompletion:
    """The OpenAI completion for ``message`` with ``usage`` (for a caller that read the upstream's
    own, so ``message.usage`` is not worked out only to be replaced)."""
    return ChatCompletion(
        id=completion_id(message.id),
        created=created,
        model=message.model,
        choices=[
            Choice(
                index=0,
                message=openai_message(message),
                finish_reason=finish_reason_from_stop(message.stop_reason),
            )
        ],
        usage=usage,
    )
