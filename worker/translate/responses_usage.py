"""Token usage in the Responses API's form.

Like Chat Completions, ``input_tokens`` includes the tokens read from the cache
(``input_tokens_details.cached_tokens``) and written to it (``cache_write_tokens``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.protocol import ResponseUsage
from coderouter_supervisor.worker.translate.usage import TokenUsage


def usage_from_responses(usage: ResponseUsage) -> TokenUsage:
    """Split ``input_tokens`` into uncached, cache-read and cache-write parts."""
    return _split(
        usage.input_tokens,
        usage.input_tokens_details.cached_tokens,
        usage.input_tokens_details.cache_write_tokens,
        usage.output_tokens,
        usage.output_tokens_details.reasoning_tokens,
    )


def plain_responses_usage(usage: Mapping[str, Any]) -> TokenUsage | None:
    """``usage_from_responses(ResponseUsage.model_validate(usage))`` for usage of plain int counts,
    without building a model; None for anything else, which the model then reads (or refuses)."""
    inputs = usage.get("input_tokens_details", _NO_DETAILS)
    outputs = usage.get("output_tokens_details", _NO_DETAILS)
    if type(inputs) is not dict or type(outputs) is not dict:
        return None
    counts = (
        usage.get("input_tokens", 0),
        inputs.get("cached_tokens", 0),
        inputs.get("cache_write_tokens", 0),
        usage.get("output_tokens", 0),
        outputs.get("reasoning_tokens", 0),
    )
    # A null, a string or a bool in a count: the model's coercion or error decides.
    if type(usage.get("total_tokens", 0)) is not int or any(type(count) is not int for count in counts):
        return None
    return _split(*counts)


_NO_DETAILS: dict[str, Any] = {}


def _split(total: int, cached: int, written: int, output: int, reasoning: int) -> TokenUsage:
    total = max(total, 0)
    cached = min(max(cached, 0), total)
    written = min(max(written, 0), total - cached)
    return TokenUsage(
        input_tokens=total - cached - written,
        output_tokens=max(output, 0),
        cache_read_tokens=cached,
        cache_creation_tokens=written,
        reasoning_tokens=max(reasoning, 0),
    )


def responses_usage(usage: TokenUsage) -> ResponseUsage:
    """Every field filled: Codex refuses a ``usage`` that lacks one."""
    return ResponseUsage.model_validate(responses_usage_fields(usage))


def responses_usage_fields(usage: TokenUsage) -> dict[str, Any]:
    """The wire form of :func:`responses_usage` (what its ``to_wire`` gives), built without the model."""
    total_input = usage.total_input_tokens
    return {
        "input_tokens": total_input,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens,
            "cache_write_tokens": usage.cache_creation_tokens,
        },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": total_input + usage.output_tokens,
    }


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
