"""Upstreams that serve the OpenAI Responses API themselves (``kind: openai_responses``): OpenAI (its
codex models are served only there) and local servers that offer ``/v1/responses``."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.adapters.upstream_kind import PROFILE_FIELD, with_extra_body
from coderouter_supervisor.worker.config import ProviderKind
from coderouter_supervisor.worker.money import is_priced
from coderouter_supervisor.worker.protocol import ResponseUsage
from coderouter_supervisor.worker.providers import (
    ProviderCall,
    openai_headers,
    openai_models_url,
    openai_responses_url,
)
from coderouter_supervisor.worker.translate import (
    DEFAULT_MAX_TOKENS,
    NO_USAGE,
    UsageReport,
    usage_from_responses,
)


def _instructions(instructions: str | None, suffix: str | None) -> str | None:
    if not suffix:
        return instructions
    return f"{instructions}\n{suffix}" if instructions else suffix


def responses_upstream_body(body: dict[str, Any], call: ProviderCall) -> dict[str, Any]:
    """A Responses body for ``call`` from a request's wire form ``body`` (changed in place): its
    model, the ``append_system_prompt`` in ``instructions``, ``extra_body`` under it, and on a priced
    provider always the output limit the budget hold reserved for (set here, so ``extra_body``
    cannot widen it)."""
    body.pop(PROFILE_FIELD, None)
    body["model"] = call.provider.model
    instructions = _instructions(body.get("instructions"), call.system_suffix)
    if instructions is not None:
        body["instructions"] = instructions
    if is_priced(call.provider.cost) and body.get("max_output_tokens") is None:
        # What responses_output_limit gives a request that sets no limit.
        body["max_output_tokens"] = DEFAULT_MAX_TOKENS
    return with_extra_body(body, call.provider)


class OpenAIResponsesUpstream:
    name: ProviderKind = "openai_responses"
    answers_choices = False  # the Responses API has no ``n``
    counts_tokens = False

    def endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return openai_responses_url(call.provider.base_url), openai_headers(call)

    def models_endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return openai_models_url(call.provider.base_url), openai_headers(call)

    def as_stream(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "stream": True}  # a Responses stream always ends with its usage

    def as_whole_answer(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "stream": False}

    def reported_usage(self, payload: dict[str, Any]) -> UsageReport:
        usage = payload.get("usage")
        if isinstance(usage, dict):
            with contextlib.suppress(ValidationError):
                return UsageReport(usage_from_responses(ResponseUsage.model_validate(usage)), final=True)
        return NO_USAGE


OPENAI_RESPONSES_UPSTREAM = OpenAIResponsesUpstream()
