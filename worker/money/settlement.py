"""What one attempt is recorded at, and why a failed attempt may still have cost money (pure).

An attempt whose usage the upstream reported in full is recorded as reported; otherwise at
:func:`~.holds.usage_to_record`'s bound, and the caller says why (an :data:`EstimateReason`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import (
    MidStreamFailure,
    UpstreamAnswerTooLarge,
    UpstreamError,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.money.holds import RequestShape, Spend, usage_to_record
from coderouter_supervisor.worker.money.pricing import FREE, AttemptCost, is_priced, price_usage
from coderouter_supervisor.worker.translate import TokenUsage, UsageReport

EstimateReason = Literal[
    "answer-without-usage",
    "stream-without-usage",
    "stream-broken",
    "client-left",
    "upstream-timeout",
    "answer-too-large",
]
"""Why an attempt's usage is not known in full (the ``reason`` of a ``spend-estimated`` event)."""

_NO_TOKENS = TokenUsage()


def maybe_billed(error: UpstreamError) -> EstimateReason | None:
    """Why a failure before the first byte may still have been billed: the upstream had the request
    and did not answer in time, began a stream and ended it (it was generating), or answered more
    than the gateway reads. None when it refused or was never reached (an error status, a failed
    connection)."""
    if isinstance(error, UpstreamTimeout):
        return "upstream-timeout"
    if isinstance(error, MidStreamFailure):
        return "stream-broken"
    if isinstance(error, UpstreamAnswerTooLarge):
        return "answer-too-large"  # it wrote all that, and bills it
    return None


@dataclass(frozen=True)
class PricedAttempt:
    """One attempt as recorded: the usage counted (``used``), its price, and the usage the upstream
    reported in full (``reported``, None when it did not)."""

    used: TokenUsage
    cost: AttemptCost
    reported: TokenUsage | None
    priced: bool

    @property
    def estimated(self) -> bool:
        """Whether a priced provider's usage is recorded at the bound (a ``spend-estimated`` event)."""
        return self.reported is None and self.priced

    @property
    def spend(self) -> Spend:
        return Spend(self.cost.total_usd, self.used.total_input_tokens, self.used.output_tokens)

    @property
    def charged_without_hold(self) -> bool:
        """Whether, with no reservation to settle, the spend still goes to the provider's ledger."""
        return self.priced and self.cost.total_usd > 0


def price_attempt(report: UsageReport, provider: ProviderConfig, shape: RequestShape) -> PricedAttempt:
    """What an attempt that ended with ``report`` is recorded at."""
    reported = report.usage if report.final else None
    if not is_priced(provider.cost):
        # Costs nothing: recorded as seen (what usage_to_record gives a free provider), at FREE.
        return PricedAttempt(report.usage or _NO_TOKENS, FREE, reported=reported, priced=False)
    used = usage_to_record(report, provider, shape)
    return PricedAttempt(used, price_usage(provider.cost, used), reported=reported, priced=True)


def add_spend(total: Spend, more: Spend) -> Spend:
    """Two spends as one (a request's attempts, recorded against its client key)."""
    return Spend(
        total.cost_usd + more.cost_usd,
        total.input_tokens + more.input_tokens,
        total.output_tokens + more.output_tokens,
    )
