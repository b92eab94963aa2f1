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
from coderouter_supervisor.worker.translate import NO_USAGE, UsageReport, usage_from_anthropic


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
            with contextlib.suppress(ValidationError):
                return UsageReport(usage_from_anthropic(Usage.model_validate(usage)), final=True)
        return NO_USAGE


ANTHROPIC_UPSTREAM = AnthropicUpstream()
