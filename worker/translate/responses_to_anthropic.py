"""OpenAI Responses request -> Anthropic Messages request (for ``anthropic`` upstreams).

Goes through the chat form (:func:`responses_request_to_openai`, then
:func:`openai_request_to_anthropic`), so each rule is written once: ``developer``/``system`` and
``instructions`` -> ``system``; ``function_call`` -> ``tool_use``; ``function_call_output`` ->
``tool_result`` first in the next user turn; consecutive same-role turns merged;
``max_output_tokens`` -> ``max_tokens`` (a default when absent); ``parallel_tool_calls: false`` ->
``disable_parallel_tool_use``; ``reasoning.effort`` -> a thinking budget; a JSON schema
``text.format`` -> ``output_config.format``. With thinking on, the signed thinking an Anthropic
upstream produced (packed in ``encrypted_content``, see :mod:`anthropic_reasoning`) goes back
first in the assistant turn of the tool call it preceded, as Anthropic requires of tool-use
turns; any other reasoning item (OpenAI's encrypted content, summaries) is not replayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coderouter_supervisor.worker.protocol import (
    FunctionCallItem,
    InputItem,
    InputMessage,
    MessageParam,
    MessagesRequest,
    ReasoningItem,
    RedactedThinkingBlock,
    ResponsesRequest,
    ThinkingBlock,
    ThinkingDisabled,
    ToolUseBlock,
)
from coderouter_supervisor.worker.translate.anthropic_reasoning import unpack_thinking
from coderouter_supervisor.worker.translate.openai_target import OpenAITarget
from coderouter_supervisor.worker.translate.openai_to_anthropic import openai_request_to_anthropic
from coderouter_supervisor.worker.translate.responses_to_openai import responses_request_to_openai
from coderouter_supervisor.worker.translate.responses_tools import ToolNames


@dataclass(frozen=True)
class AnthropicTranslation:
    """The Anthropic request, how to name its tool calls back, and the hosted tools left out."""

    request: MessagesRequest
    tool_names: ToolNames
    dropped_tools: tuple[str, ...]


# The chat form as an intermediate: every field kept, reasoning asked for by effort, system
# messages gathered into the one Anthropic takes.
_INTERMEDIATE = OpenAITarget(model="", reasoning_control="reasoning_effort", fold_system_messages=True)


AnthropicThinking = ThinkingBlock | RedactedThinkingBlock


def _thinking_by_call(items: Sequence[InputItem]) -> dict[str, list[AnthropicThinking]]:
    """Thinking unpacked from reasoning items, keyed by the first tool call of the same turn."""
    found: dict[str, list[AnthropicThinking]] = {}
    pending: list[AnthropicThinking] = []
    for item in items:
        if isinstance(item, ReasoningItem):
            block = unpack_thinking(item)
            if block is not None:
                pending.append(block)
        elif isinstance(item, FunctionCallItem):
            if pending:
                found[item.call_id], pending = pending, []
        elif not (isinstance(item, InputMessage) and item.role == "assistant"):
            pending = []  # the turn ended without a call: its thinking may be left out
    return found


def _restore_thinking(turns: list[MessageParam], found: dict[str, list[AnthropicThinking]]) -> None:
    for turn in turns:
        if turn.role != "assistant" or not isinstance(turn.content, list):
            continue
        calls = [block.id for block in turn.content if isinstance(block, ToolUseBlock)]
        thinking = [block for call in calls for block in found.get(call, [])]
        turn.content[:0] = thinking


def responses_request_to_anthropic(request: ResponsesRequest, *, model: str) -> AnthropicTranslation:
    """The Anthropic request for ``request`` sent to ``model``; see the module docstring."""
    chat = responses_request_to_openai(request, _INTERMEDIATE)
    translated = openai_request_to_anthropic(chat.request, model=model)
    if (
        isinstance(request.input, list)
        and translated.thinking
        and not isinstance(translated.thinking, ThinkingDisabled)
    ):
        _restore_thinking(translated.messages, _thinking_by_call(request.input))
    return AnthropicTranslation(translated, chat.tool_names, chat.dropped_tools)
