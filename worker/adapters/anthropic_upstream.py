"""Upstreams that serve the Anthropic Messages API (``kind: anthropic``)."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.config import ProviderKind
from coderouter_supervisor.worker.protocol import Usage
from coderouter_supervisor.worker.providers import (
    ProviderCall,
    anthropic_headers,
    anthropic_messages_url,
    anthropic_models_url,
)
from coderouter_supervisor.worker.translate import NO_USAGE, TokenUsage, UsageReport, usage_from_anthropic


def anthropic_system(system: Any, suffix: str | None) -> Any:
    """The ``system`` field with the profile's or provider's ``append_system_prompt`` added."""
    if not suffix:
        return system
    if system is None or system == "":
        return suffix
    if isinstance(system, str):
        return f"{system}\n{suffix}"
    return [*system, {"type": "text", "text": suffix}]


class AnthropicUpstream:
    name: ProviderKind = "anthropic"
    answers_choices = False  # Anthropic has no ``n``

    counts_tokens = True

    def endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return anthropic_messages_url(call.provider.base_url), anthropic_headers(call)

    def models_endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return anthropic_models_url(call.provider.base_url), anthropic_headers(call)

    def as_stream(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "stream": True}

    def as_whole_answer(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "stream": False}

    def reported_usage(self, payload: dict[str, Any]) -> UsageReport:
        usage = payload.get("usage")
        if isinstance(usage, dict):
            plain = plain_anthropic_usage(usage)
            if plain is not None:
                return UsageReport(plain, final=True)
            with contextlib.suppress(ValidationError):
                return UsageReport(usage_from_anthropic(Usage.model_validate(usage)), final=True)
        return NO_USAGE


def plain_anthropic_usage(usage: dict[str, Any]) -> TokenUsage | None:
    """``usage_from_anthropic(Usage.model_validate(usage))`` for the usage upstreams send (plain
    ints, cache counts possibly null), without building a model; None for anything else, which
    the model then reads (or refuses)."""
    inp, out = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
    read, creation = usage.get("cache_read_input_tokens"), usage.get("cache_creation_input_tokens")
    # A null, a string or a bool in a count: the model's coercion or error decides.
    if type(inp) is not int or type(out) is not int:
        return None
    if (read is not None and type(read) is not int) or (creation is not None and type(creation) is not int):
        return None
    return TokenUsage(
        input_tokens=inp if inp > 0 else 0,
        output_tokens=out if out > 0 else 0,
        cache_read_tokens=read if read and read > 0 else 0,
        cache_creation_tokens=creation if creation and creation > 0 else 0,
    )


ANTHROPIC_UPSTREAM = AnthropicUpstream()
