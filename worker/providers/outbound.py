"""The body sent to one provider for one client request, per (ingress, provider kind).

Pure. Rules shared by every path: the provider's ``model`` always replaces the
client's; ``extra_body`` is merged underneath (a field the request sets wins); the
CodeRouter-only ``profile`` field never goes upstream; the profile's or provider's
``append_system_prompt`` is added to the system prompt on every kind.
"""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.protocol import ChatCompletionRequest, MessagesRequest, ResponsesRequest
from coderouter_supervisor.worker.providers.call import ProviderCall
from coderouter_supervisor.worker.telemetry import is_priced
from coderouter_supervisor.worker.translate import (
    OpenAITarget,
    ReasoningControl,
    anthropic_request_to_openai,
    anthropic_request_to_responses,
    openai_output_limit,
    openai_request_to_anthropic,
    openai_request_to_responses,
    responses_output_limit,
    responses_request_to_anthropic,
    responses_request_to_openai,
    strip_unsigned_thinking,
    without_anthropic_reasoning,
)

PROFILE_FIELD = "profile"
_HELD_FIELDS = frozenset({"max_tokens", "max_completion_tokens", "n"})  # what a budget hold is sized by


def _with_extra_body(body: dict[str, Any], provider: ProviderConfig) -> dict[str, Any]:
    extra = {k: v for k, v in provider.extra_body.items() if k != "anthropic_version"}
    return {**extra, **body}


def _anthropic_system(system: Any, suffix: str | None) -> Any:
    if not suffix:
        return system
    if system is None or system == "":
        return suffix
    if isinstance(system, str):
        return f"{system}\n{suffix}"
    return [*system, {"type": "text", "text": suffix}]


def _openai_messages_with_suffix(messages: list[dict[str, Any]], suffix: str | None) -> list[dict[str, Any]]:
    if not suffix:
        return messages
    for index, message in enumerate(messages):
        if message.get("role") in ("system", "developer"):
            content = message.get("content")
            if isinstance(content, list):
                content = [*content, {"type": "text", "text": suffix}]
            else:
                content = f"{content}\n{suffix}" if content else suffix
            return [*messages[:index], {**message, "content": content}, *messages[index + 1 :]]
    return [{"role": "system", "content": suffix}, *messages]


def openai_target(provider: ProviderConfig) -> OpenAITarget:
    """How to shape requests for an OpenAI-compatible provider, from its declared capabilities."""
    declared = provider.capabilities.reasoning_control
    control: ReasoningControl = "none"
    if declared == "openai":
        control = "reasoning_effort"
    elif declared == "provider_specific":
        control = "openrouter" if "openrouter.ai" in provider.base_url else "chat_template_kwargs"
    return OpenAITarget(
        model=provider.model,
        reasoning_control=control,
        replay_reasoning=provider.capabilities.reasoning_passthrough,
    )


def anthropic_to_anthropic(request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
    """Passthrough: unknown fields and betas go along verbatim; synthesized thinking does not."""
    body = strip_unsigned_thinking(request).to_wire()
    body.pop(PROFILE_FIELD, None)
    if call.drop_thinking:
        body.pop("thinking", None)
    body["model"] = call.provider.model
    if call.system_suffix:
        body["system"] = _anthropic_system(body.get("system"), call.system_suffix)
    return _with_extra_body(body, call.provider)


def anthropic_to_openai(request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
    body = anthropic_request_to_openai(request, openai_target(call.provider)).to_wire()
    body.pop(PROFILE_FIELD, None)
    body["messages"] = _openai_messages_with_suffix(body["messages"], call.system_suffix)
    return _with_extra_body(body, call.provider)


def openai_to_openai(request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
    """Passthrough: every field the client set reaches the upstream (response_format, seed, n, …).

    A priced provider is always sent an output limit, the one its budget hold reserved for
    (``openai_output_limit``): without one, a server writes until the model's own limit. A free
    one keeps its own default. ``extra_body`` cannot widen a priced provider's limit or ``n``.
    """
    body = request.to_wire()
    body.pop(PROFILE_FIELD, None)
    priced = is_priced(call.provider.cost)
    if priced and "max_tokens" not in body and "max_completion_tokens" not in body:
        body["max_tokens"] = openai_output_limit(request)
    body["model"] = call.provider.model
    body["messages"] = _openai_messages_with_suffix(body["messages"], call.system_suffix)
    merged = _with_extra_body(body, call.provider)
    if priced:  # what the hold covers comes from the request alone, never from extra_body
        for field in _HELD_FIELDS.difference(body):
            merged.pop(field, None)
    return merged


def openai_to_anthropic(request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
    translated = openai_request_to_anthropic(request, model=call.provider.model)
    body = strip_unsigned_thinking(translated).to_wire()
    body.pop(PROFILE_FIELD, None)
    if call.drop_thinking:
        body.pop("thinking", None)
    if call.system_suffix:
        body["system"] = _anthropic_system(body.get("system"), call.system_suffix)
    return _with_extra_body(body, call.provider)


def responses_to_openai(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    """The chat request for a Responses request. A priced provider is always sent the output limit
    its budget hold reserved for (``responses_output_limit``)."""
    chat = responses_request_to_openai(request, openai_target(call.provider)).request
    if is_priced(call.provider.cost) and chat.max_tokens is None and chat.max_completion_tokens is None:
        chat.max_tokens = responses_output_limit(request)
    body = chat.to_wire()
    body["messages"] = _openai_messages_with_suffix(body["messages"], call.system_suffix)
    return _with_extra_body(body, call.provider)


def responses_to_anthropic(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    translated = responses_request_to_anthropic(request, model=call.provider.model).request
    body = strip_unsigned_thinking(translated).to_wire()
    if call.drop_thinking:
        body.pop("thinking", None)
    if call.system_suffix:
        body["system"] = _anthropic_system(body.get("system"), call.system_suffix)
    return _with_extra_body(body, call.provider)


def _responses_instructions(instructions: str | None, suffix: str | None) -> str | None:
    if not suffix:
        return instructions
    return f"{instructions}\n{suffix}" if instructions else suffix


def _responses_upstream_body(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    """A Responses body for ``call``: its model, the suffix in ``instructions``, ``extra_body`` under
    it, and on a priced provider always the output limit the budget hold reserved for."""
    body = request.to_wire()
    body.pop(PROFILE_FIELD, None)
    body["model"] = call.provider.model
    instructions = _responses_instructions(request.instructions, call.system_suffix)
    if instructions is not None:
        body["instructions"] = instructions
    priced = is_priced(call.provider.cost)
    if priced and body.get("max_output_tokens") is None:
        body["max_output_tokens"] = responses_output_limit(request)
    merged = _with_extra_body(body, call.provider)
    if priced and "max_output_tokens" not in body:
        merged.pop("max_output_tokens", None)
    return merged


def responses_to_responses(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    """Passthrough: every item and field the client sent (hosted tools, reasoning's encrypted
    content, ``store``, ``previous_response_id``) reaches an upstream that speaks the same API. Only
    Anthropic's thinking, packed into ``encrypted_content`` by this gateway, is left out: it would be
    refused there."""
    return _responses_upstream_body(without_anthropic_reasoning(request), call)


def openai_to_responses(request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
    translated = openai_request_to_responses(request, model=call.provider.model)
    if translated.max_output_tokens is None and is_priced(call.provider.cost):
        translated.max_output_tokens = openai_output_limit(request)
    return _responses_upstream_body(translated, call)


def anthropic_to_responses(request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
    return _responses_upstream_body(anthropic_request_to_responses(request, model=call.provider.model), call)
