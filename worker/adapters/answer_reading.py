"""Reading a whole upstream answer, whatever the client protocol: its shape checked, its text filtered.

Pure. Text written by the provider passes its ``output_filters``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coderouter_supervisor.worker.adapters.anthropic_upstream import plain_anthropic_usage
from coderouter_supervisor.worker.adapters.openai_compat_upstream import plain_openai_usage
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import UpstreamHTTPError
from coderouter_supervisor.worker.protocol import ChatCompletion, Message, TextBlock
from coderouter_supervisor.worker.translate import TokenUsage, apply_filters, repair_completion

M = TypeVar("M", bound=BaseModel)

# What a dump of the validated model would add where an upstream left it out (defaults, and nulls
# clients read): an answer that has all of these is sent as written.
_MESSAGE_FIELDS = frozenset({"type", "role", "stop_reason", "stop_sequence", "usage"})
_USAGE_FIELDS = frozenset({"input_tokens", "output_tokens"})
_COMPLETION_FIELDS = frozenset({"object", "choices"})
_CHOICE_FIELDS = frozenset({"index", "message", "finish_reason"})
_CHOICE_MESSAGE_FIELDS = frozenset({"role", "content"})
# Content blocks of exactly these fields (the common ones) are checked without the model.
_TEXT_BLOCK_FIELDS = frozenset({"type", "text"})
_TOOL_USE_FIELDS = frozenset({"type", "id", "name", "input"})
_THINKING_FIELDS = frozenset({"type", "thinking", "signature"})
_NO_FUNCTION: dict[str, Any] = {}
_CHOICE_MESSAGE_TEXTS = ("content", "reasoning_content", "reasoning", "refusal")


def parse_answer(model: type[M], payload: dict[str, Any], provider: str) -> M:
    """``payload`` as ``model``; raises :class:`UpstreamHTTPError` (a 502) for any other shape."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise UpstreamHTTPError(
            f"provider {provider} answered an unexpected shape ({where}: {first['msg']})",
            provider=provider,
            upstream_status=502,
        ) from exc


def message_as_answered(payload: dict[str, Any], provider: ProviderConfig) -> dict[str, Any]:
    """An Anthropic upstream's answer for an Anthropic client: checked as :func:`read_message` checks
    it, and sent as the upstream wrote it unless an output filter changes its text or it lacks a
    field the model fills in (a model round trip would only serialise it a second time)."""
    if not provider.output_filters and _is_plain_message(payload):
        return payload  # the model accepts it and a round trip would give it back as it is
    message = parse_answer(Message, payload, provider.name)
    if not provider.output_filters and _is_whole_message(payload):
        return payload
    return filtered_message(message, provider).to_wire()


def completion_as_answered(
    payload: dict[str, Any], provider: ProviderConfig, declared_tools: Collection[str]
) -> dict[str, Any]:
    """An OpenAI-compatible upstream's answer for an OpenAI client: checked as
    :func:`read_completion` checks it, tool calls written as text repaired, and sent as the upstream
    wrote it unless a filter or a repair changed it or it lacks a field the model fills in."""
    if not provider.output_filters and not declared_tools and _is_plain_completion(payload):
        return payload  # accepted by the model, nothing to repair, and a round trip would change nothing
    completion = read_completion(payload, provider)
    repaired = repair_completion(completion, declared_tools)
    if repaired is completion and not provider.output_filters and _is_whole_completion(payload):
        return payload
    return repaired.to_wire()


def _is_whole_message(payload: dict[str, Any]) -> bool:
    usage = payload.get("usage")
    return payload.keys() >= _MESSAGE_FIELDS and isinstance(usage, dict) and usage.keys() >= _USAGE_FIELDS


def _is_plain_message(payload: dict[str, Any]) -> bool:
    return plain_message_usage(payload) is not None


def plain_message_usage(payload: dict[str, Any]) -> TokenUsage | None:
    """The usage of ``payload`` when it is a whole message that ``Message`` accepts, seen without
    building the model: text, thinking and tool-use blocks of their usual fields only, plain-int
    usage (most answers). None for anything else, which the model then checks."""
    if not _is_whole_message(payload) or payload["type"] != "message" or payload["role"] != "assistant":
        return None
    if type(payload.get("id")) is not str or type(payload.get("model")) is not str:
        return None
    if not (_optional(payload["stop_reason"], str) and _optional(payload["stop_sequence"], str)):
        return None
    content = payload.get("content")
    if type(content) is not list:
        return None
    if not all(type(block) is dict and _is_plain_block(block) for block in content):
        return None
    return plain_anthropic_usage(payload["usage"])


def _is_plain_block(block: dict[str, Any]) -> bool:
    kind = block.get("type")
    if kind == "text":
        return block.keys() == _TEXT_BLOCK_FIELDS and type(block["text"]) is str
    if kind == "thinking":
        signature = block.get("signature")
        return block.keys() == _THINKING_FIELDS and type(block["thinking"]) is str and type(signature) is str
    if kind == "tool_use":
        return (
            block.keys() == _TOOL_USE_FIELDS
            and type(block["id"]) is str
            and type(block["name"]) is str
            and type(block["input"]) is dict
            and all(type(key) is str for key in block["input"])
        )
    return False


def _is_plain_completion(payload: dict[str, Any]) -> bool:
    """Whether ``payload`` is a whole completion that ``ChatCompletion`` accepts, seen without
    building the model: choices of plain messages and tool calls, plain-int usage. False for
    anything else, which the model then checks."""
    choices, usage = payload.get("choices"), payload.get("usage")
    if payload.get("object") != "chat.completion" or type(choices) is not list:
        return False
    if not (_optional(payload.get("id"), str) and _optional(payload.get("model"), str)):
        return False
    if not _optional(payload.get("created"), int):
        return False
    if usage is not None and (type(usage) is not dict or plain_openai_usage(usage) is None):
        return False
    return all(type(choice) is dict and _is_plain_choice(choice) for choice in choices)


@dataclass(frozen=True)
class PlainCompletion:
    """A completion :func:`plain_completion_usage` found plain, and the usage it reported (None
    when it reported none)."""

    usage: TokenUsage | None


def plain_completion_usage(payload: dict[str, Any]) -> PlainCompletion | None:
    """The usage of ``payload`` when it is a plain completion (see ``_is_plain_completion``), else None."""
    if not _is_plain_completion(payload):
        return None
    usage = payload.get("usage")
    return PlainCompletion(None if usage is None else plain_openai_usage(usage))


def _is_plain_choice(choice: dict[str, Any]) -> bool:
    message = choice.get("message")
    if type(message) is not dict or not choice.keys() >= _CHOICE_FIELDS:
        return False
    if type(choice["index"]) is not int or not _optional(choice["finish_reason"], str):
        return False
    if not message.keys() >= _CHOICE_MESSAGE_FIELDS or message["role"] != "assistant":
        return False
    calls = message.get("tool_calls")
    if calls is not None and (type(calls) is not list or not all(_is_plain_call(call) for call in calls)):
        return False
    return all(_optional(message.get(field), str) for field in _CHOICE_MESSAGE_TEXTS)


def _is_plain_call(call: object) -> bool:
    if (
        type(call) is not dict
        or not _optional(call.get("id"), str)
        or call.get("type", "function") != "function"
    ):
        return False
    function = call.get("function", _NO_FUNCTION)
    return (
        type(function) is dict
        and type(function.get("name", "")) is str
        and type(function.get("arguments", "")) is str
    )


def _optional(value: object, kind: type) -> bool:
    """Whether ``value`` is None or exactly a ``kind`` (a bool is no int here: the model decides)."""
    return value is None or type(value) is kind


def _is_whole_completion(payload: dict[str, Any]) -> bool:
    return payload.keys() >= _COMPLETION_FIELDS and all(
        choice.keys() >= _CHOICE_FIELDS and choice["message"].keys() >= _CHOICE_MESSAGE_FIELDS
        for choice in payload["choices"]
    )


def read_message(payload: dict[str, Any], provider: ProviderConfig) -> Message:
    """An Anthropic upstream's answer, its text filtered."""
    return filtered_message(parse_answer(Message, payload, provider.name), provider)


def filtered_message(message: Message, provider: ProviderConfig) -> Message:
    """``message`` with its text passed through ``provider``'s output filters."""
    if not provider.output_filters:
        return message
    content = [
        block.model_copy(update={"text": apply_filters(block.text, provider.output_filters)})
        if isinstance(block, TextBlock)
        else block
        for block in message.content
    ]
    return message.model_copy(update={"content": content})


def read_completion(payload: dict[str, Any], provider: ProviderConfig) -> ChatCompletion:
    """An OpenAI-compatible upstream's answer, the text of its first choice filtered."""
    completion = parse_answer(ChatCompletion, payload, provider.name)
    if not provider.output_filters or not completion.choices:
        return completion
    choice = completion.choices[0]
    if not choice.message.content:
        return completion
    message = choice.message.model_copy(
        update={"content": apply_filters(choice.message.content, provider.output_filters)}
    )
    return completion.model_copy(
        update={"choices": [choice.model_copy(update={"message": message}), *completion.choices[1:]]}
    )
