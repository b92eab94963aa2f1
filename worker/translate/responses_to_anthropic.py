"""OpenAI Responses request -> Anthropic Messages request body (for ``anthropic`` upstreams).

Written straight from the validated request into the wire dict: no chat request and no Anthropic
models in between (the two-step chain cost ~32 µs a request). The rules are the chat path's, and
its field rules are shared (:mod:`anthropic_request_fields`, :mod:`responses_tools`):
``developer``/``system`` messages and ``instructions`` -> ``system``; user text and images (data
URIs inline, other URLs by reference, an uploaded file as a note); ``function_call`` ->
``tool_use`` (namespace members under their flattened names); ``function_call_output`` ->
``tool_result`` in the next user turn, its images after it; consecutive same-role turns merged;
``max_output_tokens`` -> ``max_tokens`` (a default when absent); ``parallel_tool_calls: false`` ->
``disable_parallel_tool_use``; ``tool_choice``; ``reasoning.effort`` -> a thinking budget; a JSON
schema ``text.format`` -> ``output_config.format``; temperature (clamped), top_p, ``user`` ->
``metadata.user_id``. With thinking on, the signed thinking an Anthropic upstream produced (packed
in ``encrypted_content``, see :mod:`anthropic_reasoning`) goes back first in the assistant turn of
the tool call it preceded, as Anthropic requires of tool-use turns.

Dropped: hosted tools, unknown items and content parts, reasoning summaries and OpenAI's encrypted
reasoning (Anthropic takes only thinking it signed), and the Responses-only fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coderouter_supervisor.worker.protocol import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputImage,
    InputItem,
    InputMessage,
    InputPart,
    ReasoningItem,
    ResponsesRequest,
)
from coderouter_supervisor.worker.translate.anthropic_reasoning import unpack_thinking
from coderouter_supervisor.worker.translate.anthropic_request_fields import (
    anthropic_image_source,
    anthropic_output_config,
    anthropic_temperature,
    anthropic_thinking,
    anthropic_tool,
    anthropic_tool_choice,
)
from coderouter_supervisor.worker.translate.openai_response_to_anthropic import tool_input
from coderouter_supervisor.worker.translate.responses_parts import readable_part
from coderouter_supervisor.worker.translate.responses_to_openai import responses_output_limit
from coderouter_supervisor.worker.translate.responses_tools import ToolNames, flat_tool_choice, flatten_tools

Block = dict[str, Any]
Turn = dict[str, Any]


def _readable(content: str | list[InputPart]) -> list[str | InputImage]:
    if isinstance(content, str):
        return [content]
    return [readable for part in content if (readable := readable_part(part)) is not None]


def _text(parts: list[str | InputImage]) -> str:
    return "\n".join(part for part in parts if isinstance(part, str))


def _image_block(image: InputImage) -> Block:
    return {"type": "image", "source": anthropic_image_source(image.image_url or "")}


def _user_blocks(parts: list[str | InputImage]) -> list[Block]:
    """Text alone becomes one block, as a chat message's plain string content would."""
    if all(isinstance(part, str) for part in parts):
        text = _text(parts)
        return [{"type": "text", "text": text}] if text else []
    return [
        {"type": "text", "text": part} if isinstance(part, str) else _image_block(part)
        for part in parts
        if not isinstance(part, str) or part
    ]


class _Conversation:
    """Anthropic turns; the assistant side of a turn accumulates until something else comes."""

    def __init__(self, names: ToolNames, system: list[str]) -> None:
        self._names = names
        self.system = system
        self.turns: list[Turn] = []
        self._texts: list[str] = []
        self._calls: list[Block] = []

    def add(self, item: InputItem) -> None:
        if isinstance(item, InputMessage):
            self._message(item)
        elif isinstance(item, FunctionCallItem):
            self._calls.append(
                {
                    "type": "tool_use",
                    "id": item.call_id,
                    "name": self._names.flat(item.name, item.namespace),
                    "input": tool_input(item.arguments),
                }
            )
        elif isinstance(item, FunctionCallOutputItem):
            self.flush_assistant()
            parts = _readable(item.output)
            result: Block = {"type": "tool_result", "tool_use_id": item.call_id, "content": _text(parts)}
            # A tool result here carries text only, as a chat tool message does; images follow it.
            images = [_image_block(part) for part in parts if isinstance(part, InputImage)]
            self._append("user", [result, *images])

    def _message(self, message: InputMessage) -> None:
        parts = _readable(message.content)
        if message.role == "assistant":
            self._texts.append(_text(parts))
            return
        self.flush_assistant()
        if message.role in ("developer", "system"):
            self.system.append(_text(parts))
        else:
            self._append("user", _user_blocks(parts))

    def flush_assistant(self) -> None:
        if not (self._texts or self._calls):
            return
        text = "".join(self._texts)
        blocks: list[Block] = [{"type": "text", "text": text}] if text else []
        self._append("assistant", blocks + self._calls)
        self._texts, self._calls = [], []

    def _append(self, role: str, blocks: list[Block]) -> None:
        if not blocks:
            return
        if self.turns and self.turns[-1]["role"] == role:
            self.turns[-1]["content"].extend(blocks)
        else:
            self.turns.append({"role": role, "content": blocks})


def _thinking_by_call(items: Sequence[InputItem]) -> dict[str, list[Block]]:
    """Signed thinking unpacked from reasoning items, keyed by the first tool call of the same turn."""
    found: dict[str, list[Block]] = {}
    pending: list[Block] = []
    for item in items:
        if isinstance(item, ReasoningItem):
            block = unpack_thinking(item)
            if block is not None:
                pending.append(block.to_wire())
        elif isinstance(item, FunctionCallItem):
            if pending:
                found[item.call_id], pending = pending, []
        elif not (isinstance(item, InputMessage) and item.role == "assistant"):
            pending = []  # the turn ended without a call: its thinking may be left out
    return found


def _restore_thinking(turns: list[Turn], found: dict[str, list[Block]]) -> None:
    for turn in turns:
        if turn["role"] != "assistant":
            continue
        content = turn["content"]
        calls = [block["id"] for block in content if block["type"] == "tool_use"]
        content[:0] = [block for call in calls for block in found.get(call, [])]


def _output_config(request: ResponsesRequest) -> dict[str, Any] | None:
    text_format = (request.text or {}).get("format")
    if not isinstance(text_format, dict) or text_format.get("type") != "json_schema":
        return None
    return anthropic_output_config(text_format.get("schema"))


def responses_request_to_anthropic(request: ResponsesRequest, *, model: str) -> dict[str, Any]:
    """The Anthropic request body (a fresh dict) for ``request`` sent to ``model``; see the module
    docstring."""
    flat = flatten_tools(request.tools)
    conversation = _Conversation(flat.names, [request.instructions] if request.instructions else [])
    if isinstance(request.input, str):
        conversation.add(InputMessage(role="user", content=request.input))
    else:
        for item in request.input or ():
            conversation.add(item)
    conversation.flush_assistant()
    max_tokens = responses_output_limit(request)
    effort = request.reasoning.effort if request.reasoning else None
    thinking = anthropic_thinking(effort, max_tokens)
    if thinking and isinstance(request.input, list):
        _restore_thinking(conversation.turns, _thinking_by_call(request.input))
    tools = [anthropic_tool(tool.name, tool.description, tool.parameters) for tool in flat.functions]
    system = "\n\n".join(text for text in conversation.system if text)
    fields: dict[str, Any] = {
        "model": model,
        "messages": conversation.turns,
        "system": system or None,
        "tools": tools or None,
        "tool_choice": _tool_choice(request, flat.names) if tools else None,
        "thinking": thinking,
        "output_config": _output_config(request),
        "max_tokens": max_tokens,
        "temperature": anthropic_temperature(request.temperature),
        "top_p": request.top_p,
        "stream": request.stream,
        "metadata": {"user_id": request.user} if request.user else None,
    }
    return {name: value for name, value in fields.items() if value is not None}


def _tool_choice(request: ResponsesRequest, names: ToolNames) -> dict[str, Any] | None:
    choice = flat_tool_choice(request.tool_choice, names)
    if isinstance(choice, str) or choice is None:
        return anthropic_tool_choice(choice, request.parallel_tool_calls)
    return anthropic_tool_choice(None, request.parallel_tool_calls, forced=choice.name)
