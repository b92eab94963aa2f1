"""OpenAI Chat Completions request -> Anthropic Messages request (for ``anthropic`` upstreams).

Carried over: ``system`` and ``developer`` messages -> top-level ``system``; user text and
images (data URIs -> base64 sources, other URLs -> url sources); assistant text and
``tool_calls`` -> ``tool_use``; each ``role: tool`` message -> a ``tool_result`` block, first
in the next user turn (Anthropic requires results right after the call); consecutive
same-role turns merged; tools; ``tool_choice`` and ``parallel_tool_calls``; ``stop``;
``max_completion_tokens``/``max_tokens``; temperature (clamped to Anthropic's 0-1, where
OpenAI allows 0-2, rather than earning a certain 400); top_p; ``user`` ->
``metadata.user_id``; ``reasoning_effort`` -> ``thinking``; ``response_format`` with a JSON
schema -> ``output_config.format``. Written straight into the wire dict: no Anthropic models
in between (building and dumping them was most of the translation's cost).

Not carried (no Anthropic equivalent): ``n``, ``seed``, ``logprobs``/``top_logprobs``,
``logit_bias``, penalties, ``response_format: json_object``, OpenAI ``metadata``,
assistant ``reasoning_content`` (thinking sent to Anthropic must carry Anthropic's own
signature). :func:`unsupported_openai_fields` names the ones a request used, for logging.
"""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    ContentPart,
    DeveloperMessage,
    ImagePart,
    NamedToolChoice,
    SystemMessage,
    TextPart,
    ToolMessage,
)
from coderouter_supervisor.worker.translate.anthropic_request_fields import (
    anthropic_image_source,
    anthropic_output_config,
    anthropic_temperature,
    anthropic_thinking,
    anthropic_tool,
    anthropic_tool_choice,
)
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import tool_input

Block = dict[str, Any]
Turn = dict[str, Any]

DEFAULT_MAX_TOKENS = 4096
_UNSUPPORTED = (
    "n",
    "seed",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "presence_penalty",
    "frequency_penalty",
)


def openai_output_limit(request: ChatCompletionRequest) -> int:
    """The output limit an OpenAI request asks for: the larger of ``max_completion_tokens`` and
    ``max_tokens`` (an upstream may honour either), or :data:`DEFAULT_MAX_TOKENS` when it gives none
    (what a priced provider is sent, and what budget holds reserve)."""
    return max(request.max_completion_tokens or 0, request.max_tokens or 0) or DEFAULT_MAX_TOKENS


def unsupported_openai_fields(request: ChatCompletionRequest) -> tuple[str, ...]:
    """Fields of ``request`` that an Anthropic upstream cannot honour (``n: 1`` is harmless)."""
    # Read field by field: dumping the whole request would copy every message for nothing. An
    # undeclared field (``logit_bias``) is read from the extras: ``getattr`` would raise and catch
    # an AttributeError on every request that does not send it.
    extra = request.model_extra or {}
    fields = type(request).model_fields
    present = {name: getattr(request, name) if name in fields else extra.get(name) for name in _UNSUPPORTED}
    dropped = [
        name for name, value in present.items() if value is not None and not (name == "n" and value == 1)
    ]
    if request.response_format and request.response_format.get("type") == "json_object":
        dropped.append("response_format")
    return tuple(dropped)


def _text(content: str | list[ContentPart] | None) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    return "\n".join(part.text for part in content if isinstance(part, TextPart))


def _blocks(content: str | list[ContentPart] | None) -> list[Block]:
    if content is None or isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[Block] = []
    for part in content:
        if isinstance(part, TextPart) and part.text:
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            blocks.append({"type": "image", "source": anthropic_image_source(part.image_url.url)})
    return blocks


def _assistant_blocks(message: AssistantMessage) -> list[Block]:
    blocks = _blocks(message.content)
    for call in message.tool_calls or []:
        blocks.append(
            {
                "type": "tool_use",
                "id": call.id,
                "name": call.function.name,
                "input": tool_input(call.function.arguments),
            }
        )
    return blocks


def anthropic_conversation(request: ChatCompletionRequest) -> tuple[str, list[Turn]]:
    """``(system text, turns)``: same-role turns merged, tool results first in their user turn."""
    system: list[str] = []
    turns: list[Turn] = []
    for message in request.messages:
        if isinstance(message, SystemMessage | DeveloperMessage):
            system.append(_text(message.content))
            continue
        if isinstance(message, ToolMessage):
            role = "user"
            blocks: list[Block] = [
                {
                    "type": "tool_result",
                    "tool_use_id": message.tool_call_id,
                    "content": _text(message.content),
                }
            ]
        elif isinstance(message, AssistantMessage):
            role, blocks = "assistant", _assistant_blocks(message)
        else:
            role, blocks = "user", _blocks(message.content)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return "\n\n".join(text for text in system if text), turns


def _tool_choice(request: ChatCompletionRequest) -> dict[str, Any] | None:
    choice = request.tool_choice
    if isinstance(choice, NamedToolChoice):
        return anthropic_tool_choice(None, request.parallel_tool_calls, forced=choice.function.name)
    return anthropic_tool_choice(choice, request.parallel_tool_calls)


def _output_config(request: ChatCompletionRequest) -> dict[str, Any] | None:
    response_format = request.response_format or {}
    if response_format.get("type") != "json_schema":
        return None
    return anthropic_output_config((response_format.get("json_schema") or {}).get("schema"))


def openai_request_to_anthropic(request: ChatCompletionRequest, *, model: str) -> dict[str, Any]:
    """The Anthropic request body for ``request`` sent to ``model``; see the module docstring.

    A fresh dict with fresh turns and lists, fields absent rather than null; JSON values taken
    whole from the request (tool schemas, the output schema) are shared with it, so callers
    must not change them in place."""
    system, turns = anthropic_conversation(request)
    max_tokens = openai_output_limit(request)
    tools = [
        anthropic_tool(tool.function.name, tool.function.description, tool.function.parameters)
        for tool in request.tools or []
    ]
    stop = [request.stop] if isinstance(request.stop, str) else list(request.stop or ())
    fields: dict[str, Any] = {
        "model": model,
        "messages": turns,
        "system": system or None,
        "tools": tools or None,
        "tool_choice": _tool_choice(request) if tools else None,
        "thinking": anthropic_thinking(request.reasoning_effort, max_tokens),
        "output_config": _output_config(request),
        "max_tokens": max_tokens,
        "stop_sequences": stop or None,
        "temperature": anthropic_temperature(request.temperature),
        "top_p": request.top_p,
        "stream": request.stream,
        "metadata": {"user_id": request.user} if request.user else None,
    }
    return {name: value for name, value in fields.items() if value is not None}
