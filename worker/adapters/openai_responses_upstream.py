"""Upstreams that serve the OpenAI Responses API themselves (``kind: openai_responses``): OpenAI (its
codex models are served only there) and local servers that offer ``/v1/responses``."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.config import ProviderKind
from coderouter_supervisor.worker.protocol import ResponseUsage
from coderouter_supervisor.worker.providers import ProviderCall, openai_headers, openai_responses_url
from coderouter_supervisor.worker.translate import NO_USAGE, UsageReport, usage_from_responses


class OpenAIResponsesUpstream:
    name: ProviderKind = "openai_responses"
    answers_choices = False  # the Responses API has no ``n``
    counts_tokens = False

    def endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return openai_responses_url(call.provider.base_url), openai_headers(call)

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
