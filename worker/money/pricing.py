"""What one attempt cost in USD, priced from a provider's ``cost:`` section (pure).

Rates are per million tokens. Cache reads are billed at ``cache_read_discount`` times the input rate and
cache writes at ``cache_creation_premium`` times it, which is how Anthropic bills prompt caching; the
arithmetic is that of coderouter-cli 1.10.1, so the same usage costs the same in both. An unpriced provider
(no ``cost:`` section, or no rates) costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict

from coderouter_supervisor.worker.config import CostConfig
from coderouter_supervisor.worker.translate import TokenUsage

CacheOutcome = Literal["cache_hit", "cache_creation", "no_cache", "unknown"]

_PER_MILLION = 1_000_000
_EVENT_DECIMALS = 6


class CostEventFields(TypedDict):
    """The cost fields of an event. A TypedDict rather than ``dict[str, float]`` so that
    ``emit_event(..., **fields)`` type-checks: its keys provably cannot collide with ``level``."""

    cost_usd: float
    cost_savings_usd: float
    cost_input_usd: float
    cost_output_usd: float
    cost_cache_read_usd: float
    cost_cache_creation_usd: float


@dataclass(frozen=True)
class AttemptCost:
    """USD parts of one attempt; ``total_usd`` is their sum and ``savings_usd`` is what cache reads saved
    compared with paying the full input rate for them."""

    input_usd: float
    output_usd: float
    cache_read_usd: float
    cache_creation_usd: float
    total_usd: float
    savings_usd: float

    def as_event_fields(self) -> CostEventFields:
        """Event fields, each rounded to 6 decimals (micro-dollars) so log lines stay short."""
        if self is FREE:
            return _FREE_EVENT_FIELDS.copy()
        return self.rounded_event_fields()

    def rounded_event_fields(self) -> CostEventFields:
        """:meth:`as_event_fields` worked out in full (what it returns for every cost)."""
        return CostEventFields(
            cost_usd=_rounded(self.total_usd),
            cost_savings_usd=_rounded(self.savings_usd),
            cost_input_usd=_rounded(self.input_usd),
            cost_output_usd=_rounded(self.output_usd),
            cost_cache_read_usd=_rounded(self.cache_read_usd),
            cost_cache_creation_usd=_rounded(self.cache_creation_usd),
        )


FREE = AttemptCost(
    input_usd=0.0,
    output_usd=0.0,
    cache_read_usd=0.0,
    cache_creation_usd=0.0,
    total_usd=0.0,
    savings_usd=0.0,
)


def price_usage(cost: CostConfig | None, usage: TokenUsage) -> AttemptCost:
    """Price ``usage`` (whose ``input_tokens`` excludes cache tokens); ``None`` cost gives ``FREE``.

    Negative counts (a confused upstream) are priced as zero rather than as a refund. An unpriced
    provider's price is ``FREE`` itself: every rate and factor is at least zero, so the
    arithmetic would only add up zeros.
    """
    if cost is None or not is_priced(cost):
        return FREE
    in_rate, out_rate = _rates(cost)
    read = max(usage.cache_read_tokens, 0)
    input_usd = max(usage.input_tokens, 0) * in_rate
    output_usd = max(usage.output_tokens, 0) * out_rate
    cache_read_usd = read * in_rate * cost.cache_read_discount
    cache_creation_usd = max(usage.cache_creation_tokens, 0) * in_rate * cost.cache_creation_premium
    return AttemptCost(
        input_usd=input_usd,
        output_usd=output_usd,
        cache_read_usd=cache_read_usd,
        cache_creation_usd=cache_creation_usd,
        total_usd=input_usd + output_usd + cache_read_usd + cache_creation_usd,
        savings_usd=max(read * in_rate - cache_read_usd, 0.0),
    )


def worst_case_cost(cost: CostConfig | None, *, input_tokens: int, max_tokens: int) -> float:
    """The most an answer of at most ``input_tokens`` in and ``max_tokens`` out can cost.

    Every input token is priced at the dearest way it can be billed (the full input rate, or the
    cache write rate when ``cache_creation_premium`` is above 1), and every allowed output token is
    assumed produced, so ``price_usage`` of any usage within those counts is at most this.
    Negative counts count as zero.
    """
    if cost is None:
        return 0.0
    in_rate, out_rate = _rates(cost)
    dearest_input = in_rate * max(1.0, cost.cache_creation_premium)
    return max(input_tokens, 0) * dearest_input + max(max_tokens, 0) * out_rate


def cache_outcome(usage: TokenUsage | None) -> CacheOutcome:
    """How the prompt cache took part; ``unknown`` only when the upstream reported no usage at all."""
    if usage is None:
        return "unknown"
    if usage.cache_read_tokens > 0:
        return "cache_hit"
    if usage.cache_creation_tokens > 0:
        return "cache_creation"
    return "no_cache"


def is_priced(cost: CostConfig | None) -> bool:
    """Whether any rate is above zero, i.e. whether this provider's attempts can cost anything."""
    if cost is None:
        return False
    return bool(cost.input_tokens_per_million) or bool(cost.output_tokens_per_million)


def _rounded(usd: float) -> float:
    return round(usd, _EVENT_DECIMALS)


def _rates(cost: CostConfig) -> tuple[float, float]:
    return (
        (cost.input_tokens_per_million or 0.0) / _PER_MILLION,
        (cost.output_tokens_per_million or 0.0) / _PER_MILLION,
    )


# Most providers are free: their fields are the same on every request, so they are rounded once.
_FREE_EVENT_FIELDS = FREE.rounded_event_fields()
