"""What chain resolution knows about providers beyond the config, as of one moment.

Facts are per provider, shared by every profile that uses the provider: its monthly spend, its
backend health, whether it is cooling down after running out of memory, and recent attempt
observations for adaptive ordering. Chain resolution reads one frozen :class:`ChainFacts`; the
engine keeps them (``engine.FactCache``).

Times are wall-clock UTC seconds, because several worker processes must agree on them (month
keys, cooldown expiry); latencies are measured with a monotonic clock by whoever observes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coderouter_supervisor.worker.guards import HealthState, Observation, ProviderHealth

if TYPE_CHECKING:  # read, never opened: routing does no I/O
    from coderouter_supervisor.state import HealthRecord, ProviderFacts


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


def health_from(record: HealthRecord) -> ProviderHealth:
    return ProviderHealth(HealthState(record.state), record.consecutive_failures, record.changed_at)


def chain_facts_from(facts: ProviderFacts) -> ChainFacts:
    """The routing view of facts read from the state store."""
    return ChainFacts(
        health={name: health_from(record) for name, record in facts.health.items()},
        cooldown_until=dict(facts.cooldown_until),
        budgets={
            name: BudgetStatus(entry.month, entry.spent_usd, entry.reserved_usd)
            for name, entry in facts.ledger.items()
        },
        observations=tuple(Observation(a.provider, a.at, a.latency_ms, a.ok) for a in facts.attempts),
    )
