"""The client's (non-streamed) answer from one provider's answer, per (ingress, provider kind).

Pure. Text written by the provider passes its ``output_filters``; tool calls an
OpenAI-compatible model wrote as text become real calls when the request declared tools.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import UpstreamHTTPError
from coderouter_supervisor.worker.protocol import ChatCompletion, Message, TextBlock
from coderouter_supervisor.worker.translate import (
    anthropic_message_to_openai,
    apply_filters,
    openai_completion_to_anthropic,
    repair_completion,
)

M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], payload: dict[str, Any], provider: str) -> M:
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


def _filter_message(message: Message, provider: ProviderConfig) -> Message:
    if not provider.output_filters:
        return message
    content = [
        block.model_copy(update={"text": apply_filters(block.text, provider.output_filters)})
        if isinstance(block, TextBlock)
        else block
        for block in message.content
    ]
    return message.model_copy(update={"content": content})


def _filter_completion(completion: ChatCompletion, provider: ProviderConfig) -> ChatCompletion:
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


def anthropic_from_anthropic(payload: dict[str, Any], provider: ProviderConfig) -> dict[str, Any]:
    return _filter_message(_parse(Message, payload, provider.name), provider).to_wire()


def anthropic_from_openai(
    payload: dict[str, Any],
    provider: ProviderConfig,
    *,
    requested_model: str,
    declared_tools: Collection[str],
) -> dict[str, Any]:
    completion = _filter_completion(_parse(ChatCompletion, payload, provider.name), provider)
    completion = repair_completion(completion, declared_tools)
    return openai_completion_to_anthropic(completion, requested_model=requested_model).to_wire()


def openai_from_anthropic(
    payload: dict[str, Any], provider: ProviderConfig, *, created: int
) -> dict[str, Any]:
    message = _filter_message(_parse(Message, payload, provider.name), provider)
    return anthropic_message_to_openai(message, created=created).to_wire()


def openai_from_openai(
    payload: dict[str, Any], provider: ProviderConfig, *, declared_tools: Collection[str]
) -> dict[str, Any]:
    completion = _filter_completion(_parse(ChatCompletion, payload, provider.name), provider)
    return repair_completion(completion, declared_tools).to_wire()
