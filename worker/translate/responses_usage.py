"""Token usage in the Responses API's form.

Like Chat Completions, ``input_tokens`` includes the tokens read from the cache
(``input_tokens_details.cached_tokens``) and written to it (``cache_write_tokens``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.protocol import (
    InputTokensDetails,
    OutputTokensDetails,
    ResponseUsage,
)
from coderouter_supervisor.worker.translate.usage import TokenUsage


def usage_from_responses(usage: ResponseUsage) -> TokenUsage:
    """Split ``input_tokens`` into uncached, cache-read and cache-write parts."""
    total = max(usage.input_tokens, 0)
    cached = min(max(usage.input_tokens_details.cached_tokens, 0), total)
    written = min(max(usage.input_tokens_details.cache_write_tokens, 0), total - cached)
    return TokenUsage(
        input_tokens=total - cached - written,
        output_tokens=max(usage.output_tokens, 0),
        cache_read_tokens=cached,
        cache_creation_tokens=written,
        reasoning_tokens=max(usage.output_tokens_details.reasoning_tokens, 0),
    )


def responses_usage(usage: TokenUsage) -> ResponseUsage:
    """Every field filled: Codex refuses a ``usage`` that lacks one."""
    total_input = usage.total_input_tokens
    return ResponseUsage(
        input_tokens=total_input,
        input_tokens_details=InputTokensDetails(
            cached_tokens=usage.cache_read_tokens, cache_write_tokens=usage.cache_creation_tokens
        ),
        output_tokens=usage.output_tokens,
        output_tokens_details=OutputTokensDetails(reasoning_tokens=usage.reasoning_tokens),
        total_tokens=total_input + usage.output_tokens,
    )


_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def usage_from_responses_event(payload: Mapping[str, Any]) -> TokenUsage | None:
    """The usage a final stream event (``response.completed``/``.incomplete``/``.failed``) reports,
    for relaying a Responses upstream's stream unchanged; None for other events or no usage."""
    if payload.get("type") not in _FINAL_EVENTS:
        return None
    response = payload.get("response")
    usage = response.get("usage") if isinstance(response, Mapping) else None
    if not isinstance(usage, Mapping):
        return None
    try:
        return usage_from_responses(ResponseUsage.model_validate(usage))
    except ValidationError:
        return None
