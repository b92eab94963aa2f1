"""What routing needs to know about providers beyond the config, and the store that keeps it.

Facts are per provider, shared by every profile that uses the provider: its monthly spend, its
backend health, whether it is cooling down after running out of memory, and recent attempt
observations for adaptive ordering. Chain resolution reads one frozen :class:`ChainFacts`
snapshot; the attempt loop writes through a :class:`FactStore`.

Times are wall-clock UTC seconds, because several worker processes must agree on them (month
keys, cooldown expiry); latencies are measured with a monotonic clock by whoever observes them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from coderouter_supervisor.worker.guards import HealthState, Observation, ProviderHealth


def month_key(now: float) -> str:
    """The UTC calendar month of ``now`` as ``YYYY-MM``: the budget ledger's key."""
    return time.strftime("%Y-%m", time.gmtime(now))


def month_resets_at(month: str) -> str:
    """When the budgets of ``month`` (``YYYY-MM``) reset: the first moment of the next UTC month."""
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}-01 00:00 UTC"


@dataclass(frozen=True)
class BudgetStatus:
    """A provider's ledger for one UTC month."""

    month: str
    spent_usd: float = 0.0
    reserved_usd: float = 0.0


@dataclass(frozen=True)
class ChainFacts:
    """Everything chain resolution reads, as of one moment. Missing providers have no history."""

    health: Mapping[str, ProviderHealth] = field(default_factory=dict)
    cooldown_until: Mapping[str, float] = field(default_factory=dict)
    budgets: Mapping[str, BudgetStatus] = field(default_factory=dict)
    observations: tuple[Observation, ...] = ()

    def health_of(self, provider: str) -> ProviderHealth:
        return self.health.get(provider, ProviderHealth())

    def budget_of(self, provider: str, month: str) -> BudgetStatus:
        status = self.budgets.get(provider)
        return status if status is not None and status.month == month else BudgetStatus(month)


@dataclass(frozen=True)
class Reservation:
    """Budget held for one attempt until it is settled with the real cost, against ``cap_usd``."""

    provider: str
    month: str
    amount_usd: float
    token: int
    cap_usd: float


@dataclass(frozen=True)
class Spend:
    """What one attempt cost."""

    cost_usd: float
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class NotAdmitted:
    """Why a budgeted provider is not tried: its hold does not fit (``budget``), or the budget cannot
    be checked because the state file is unusable (``state-unavailable``, ``detail`` says why)."""

    reason: Literal["budget", "state-unavailable"]
    detail: str | None = None


@dataclass(frozen=True)
class HealthChange:
    provider: str
    old_state: HealthState
    new: ProviderHealth


class FactStore(Protocol):
    """Durable provider facts. Every method is one short operation; none raises for a busy store.

    ``reserve_spend`` is the only check-and-write: it holds ``amount_usd`` only if settled spend,
    other reservations and this one together stay within ``cap_usd``, so concurrent attempts can
    never overspend the cap; it returns None when the amount does not fit or the store cannot say
    (a budgeted provider fails closed). ``settle_spend`` replaces the reservation with the real
    cost (None: the attempt produced nothing to pay for), also when the hold was reclaimed meanwhile
    (its worker was taken for gone, or it expired): the attempt then counts once, at its real cost.
    """

    @property
    def problem(self) -> str | None:
        """Why the store cannot be used right now (its real cause), or None."""

    async def snapshot(self, providers: Sequence[str], now: float, *, observations: bool) -> ChainFacts:
        """The facts about ``providers``; recent attempt observations only when asked (adaptive)."""

    async def reserve_spend(
        self, provider: str, amount_usd: float, cap_usd: float, now: float
    ) -> Reservation | None: ...

    async def settle_spend(self, reservation: Reservation, spend: Spend | None) -> None: ...

    async def record_spend(self, provider: str, spend: Spend, now: float) -> None: ...

    def count_usage(self, ledger: str, spend: Spend, now: float) -> None: ...

    async def record_failure(self, provider: str, threshold: int, now: float) -> HealthChange | None: ...

    async def record_success(self, provider: str, now: float) -> HealthChange | None: ...

    async def start_cooldown(self, provider: str, cooldown_s: float, now: float) -> float: ...

    async def record_observation(self, observation: Observation) -> None: ...
