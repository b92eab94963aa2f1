"""Upstreams that serve OpenAI Chat Completions (``kind: openai_compat``): OpenAI, OpenRouter,
Ollama, LM Studio, llama.cpp, vLLM."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind
from coderouter_supervisor.worker.protocol import CompletionUsage
from coderouter_supervisor.worker.providers import (
    ProviderCall,
    openai_chat_url,
    openai_headers,
    openai_models_url,
)
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    OpenAITarget,
    ReasoningControl,
    TokenUsage,
    UsageReport,
    usage_from_openai,
)


def openai_messages_with_suffix(messages: list[dict[str, Any]], suffix: str | None) -> list[dict[str, Any]]:
    """``messages`` with the ``append_system_prompt`` added to the first system (or developer) message."""
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


class OpenAICompatUpstream:
    name: ProviderKind = "openai_compat"
    answers_choices = True

    counts_tokens = False

    def endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return openai_chat_url(call.provider.base_url), openai_headers(call)

    def models_endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return openai_models_url(call.provider.base_url), openai_headers(call)

    def as_stream(self, body: dict[str, Any]) -> dict[str, Any]:
        # Always asked for usage (cost needs it); the client stream hides it from a client that did not ask.
        options = {**(body.get("stream_options") or {}), "include_usage": True}
        return {**body, "stream": True, "stream_options": options}

    def as_whole_answer(self, body: dict[str, Any]) -> dict[str, Any]:
        whole = {**body, "stream": False}
        whole.pop("stream_options", None)
        return whole

    def reported_usage(self, payload: dict[str, Any]) -> UsageReport:
        usage = payload.get("usage")
        if isinstance(usage, dict):
            plain = plain_openai_usage(usage)
            if plain is not None:
                return UsageReport(plain, final=True)
            with contextlib.suppress(ValidationError):
                return UsageReport(usage_from_openai(CompletionUsage.model_validate(usage)), final=True)
        return NO_USAGE


def plain_openai_usage(usage: dict[str, Any]) -> TokenUsage | None:
    """``usage_from_openai(CompletionUsage.model_validate(usage))`` for usage of plain int counts
    (token details included, as OpenAI and OpenRouter send them), without building a model; None
    for anything else, which the model then reads (or refuses)."""
    prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    # A null, a string or a bool in a count: the model's coercion or error decides.
    if (
        type(prompt) is not int
        or type(completion) is not int
        or type(usage.get("total_tokens", 0)) is not int
    ):
        return None
    cached = creation = reasoning = 0
    prompt_details = usage.get("prompt_tokens_details")
    if prompt_details is not None:
        if type(prompt_details) is not dict:
            return None
        read, written = prompt_details.get("cached_tokens"), prompt_details.get("cache_write_tokens")
        created = prompt_details.get("cache_creation_tokens")  # OpenRouter's name for cache writes
        if not (_count(read) and _count(written) and _count(created)):
            return None
        cached, creation = _positive(read), _positive(written) or _positive(created)
    completion_details = usage.get("completion_tokens_details")
    if completion_details is not None:
        if type(completion_details) is not dict:
            return None
        thought = completion_details.get("reasoning_tokens")
        if not _count(thought):
            return None
        reasoning = _positive(thought)
    return TokenUsage(
        input_tokens=max(prompt - cached - creation, 0),
        output_tokens=completion,
        cache_read_tokens=cached,
        cache_creation_tokens=creation,
        reasoning_tokens=reasoning,
    )


def _count(value: object) -> bool:
    """Whether ``value`` is a null or a plain int (anything else: the model decides)."""
    return value is None or type(value) is int


def _positive(value: Any) -> int:
    """A count :func:`_count` accepted, negatives and null as 0 (as ``usage_from_openai`` reads them)."""
    return value if value is not None and value > 0 else 0


OPENAI_COMPAT_UPSTREAM = OpenAICompatUpstream()
