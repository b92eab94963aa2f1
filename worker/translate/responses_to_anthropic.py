"""OpenAI Responses request -> Anthropic Messages request (for ``anthropic`` upstreams).

Goes through the chat form (:func:`responses_request_to_openai`, then
:func:`openai_request_to_anthropic`), so each rule is written once: ``developer``/``system`` and
``instructions`` -> ``system``; ``function_call`` -> ``tool_use``; ``function_call_output`` ->
``tool_result`` first in the next user turn; consecutive same-role turns merged;
``max_output_tokens`` -> ``max_tokens`` (a default when absent); ``parallel_tool_calls: false`` ->
``disable_parallel_tool_use``; ``reasoning.effort`` -> a thinking budget; a JSON schema
``text.format`` -> ``output_config.format``. Reasoning items are not replayed: their
``encrypted_content`` is not Anthropic's, and thinking sent to Anthropic must carry its signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from coderouter_supervisor.worker.protocol import MessagesRequest, ResponsesRequest
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


def responses_request_to_anthropic(request: ResponsesRequest, *, model: str) -> AnthropicTranslation:
    """The Anthropic request for ``request`` sent to ``model``; see the module docstring."""
    chat = responses_request_to_openai(request, _INTERMEDIATE)
    return AnthropicTranslation(
        openai_request_to_anthropic(chat.request, model=model), chat.tool_names, chat.dropped_tools
    )
