"""Reading a whole upstream answer, whatever the client protocol: its shape checked, its text filtered.

Pure. Text written by the provider passes its ``output_filters``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import UpstreamHTTPError
from coderouter_supervisor.worker.protocol import ChatCompletion, Message, TextBlock
from coderouter_supervisor.worker.translate import apply_filters

M = TypeVar("M", bound=BaseModel)


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
    it, and sent as the upstream wrote it unless an output filter changes its text (a model round
    trip would only serialise it a second time)."""
    message = parse_answer(Message, payload, provider.name)
    if not provider.output_filters:
        return payload
    return filtered_message(message, provider).to_wire()


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
