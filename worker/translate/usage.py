"""Token usage in one protocol-neutral shape, and its two wire forms.

The protocols count input differently: Anthropic's ``input_tokens`` excludes cached
tokens (total input = input + cache read + cache creation), OpenAI's ``prompt_tokens``
includes them (``prompt_tokens_details.cached_tokens`` is the part read from cache).
:class:`TokenUsage` uses Anthropic's split, which is what pricing needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.protocol import (
    CompletionUsage,
    MessageDeltaUsage,
    Usage,
)


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one response. ``input_tokens`` excludes both cache counts."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_input_tokens(self) -> int:
        return self.input_tokens + self.cache_read_tokens + self.cache_creation_tokens


@dataclass(frozen=True)
class UsageReport:
    """What an upstream has said about one answer's usage so far.

    ``usage`` is None while it said nothing. ``final`` once the count is complete: an OpenAI
    upstream reports usage once, at the end; an Anthropic stream reports input in
    ``message_start`` (``usage`` set, not final) and output in ``message_delta`` (final).
    """

    usage: TokenUsage | None = None
    final: bool = False


NO_USAGE = UsageReport()


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def usage_from_openai(usage: CompletionUsage) -> TokenUsage:
    """Split ``prompt_tokens`` into uncached, cache-read and cache-write parts.

    Cache writes are read from ``prompt_tokens_details.cache_write_tokens`` or
    ``cache_creation_tokens`` (OpenRouter and some proxies report them; OpenAI does not).
    """
    details = usage.prompt_tokens_details
    cached = _int(details.cached_tokens) if details else 0
    extras = (details.model_extra or {}) if details else {}
    creation = _int(details.cache_write_tokens if details else 0) or _int(extras.get("cache_creation_tokens"))
    completion = usage.completion_tokens_details
    return TokenUsage(
        input_tokens=max(usage.prompt_tokens - cached - creation, 0),
        output_tokens=usage.completion_tokens,
        cache_read_tokens=cached,
        cache_creation_tokens=creation,
        reasoning_tokens=_int(completion.reasoning_tokens) if completion else 0,
    )


def usage_from_anthropic(usage: Usage | MessageDeltaUsage) -> TokenUsage:
    return TokenUsage(
        input_tokens=_int(usage.input_tokens),
        output_tokens=_int(usage.output_tokens),
        cache_read_tokens=_int(usage.cache_read_input_tokens),
        cache_creation_tokens=_int(usage.cache_creation_input_tokens),
    )


def anthropic_usage(usage: TokenUsage) -> Usage:
    return Usage.model_validate(anthropic_usage_fields(usage))


def anthropic_usage_fields(usage: TokenUsage | None) -> dict[str, Any]:
    """The wire form of :func:`anthropic_usage` (what its ``to_wire`` gives), built without the
    model; for None, what ``Usage()`` gives (zero counts, no cache counts)."""
    if usage is None:
        return {"input_tokens": 0, "output_tokens": 0}
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
    }


def openai_usage(usage: TokenUsage) -> CompletionUsage:
    return CompletionUsage.model_validate(openai_usage_fields(usage))


def openai_usage_fields(usage: TokenUsage) -> dict[str, Any]:
    """The wire form of :func:`openai_usage` (what its ``to_wire`` gives), built without the model."""
    prompt = usage.total_input_tokens
    details: dict[str, Any] = {"cached_tokens": usage.cache_read_tokens}
    if usage.cache_creation_tokens:
        details["cache_write_tokens"] = usage.cache_creation_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": details,
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }
