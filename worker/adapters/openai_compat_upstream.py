"""Upstreams that serve OpenAI Chat Completions (``kind: openai_compat``): OpenAI, OpenRouter,
Ollama, LM Studio, llama.cpp, vLLM."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.config import ProviderKind
from coderouter_supervisor.worker.protocol import CompletionUsage
from coderouter_supervisor.worker.providers import ProviderCall, openai_chat_url, openai_headers
from coderouter_supervisor.worker.translate import NO_USAGE, UsageReport, usage_from_openai


class OpenAICompatUpstream:
    name: ProviderKind = "openai_compat"
    answers_choices = True

    counts_tokens = False

    def endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        return openai_chat_url(call.provider.base_url), openai_headers(call)

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
            with contextlib.suppress(ValidationError):
                return UsageReport(usage_from_openai(CompletionUsage.model_validate(usage)), final=True)
        return NO_USAGE


OPENAI_COMPAT_UPSTREAM = OpenAICompatUpstream()
