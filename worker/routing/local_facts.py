"""A :class:`FactStore` held in this worker's memory.

Exact within one process (asyncio runs each method without interleaving) and lost on restart;
the shared SQLite store replaces it where several workers must agree.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import replace

from coderouter_supervisor.worker.guards import (
    WINDOW_S,
    Observation,
    ProviderHealth,
    after_failure,
    after_success,
    cooldown_until,
)
from coderouter_supervisor.worker.routing.facts import (
    BudgetStatus,
    ChainFacts,
    HealthChange,
    Reservation,
    month_key,
)

# Bounds the memory of a busy provider; the adaptive window needs far fewer samples than this.
_MAX_OBSERVATIONS = 2000


class LocalFacts:
    def __init__(self) -> None:
        self._health: dict[str, ProviderHealth] = {}
        self._cooldowns: dict[str, float] = {}
        self._budgets: dict[str, BudgetStatus] = {}
        self._reservations: dict[int, Reservation] = {}
        self._observations: defaultdict[str, deque[Observation]] = defaultdict(
            lambda: deque(maxlen=_MAX_OBSERVATIONS)
        )
        self._tokens = itertools.count(1)

    def _budget(self, provider: str, month: str) -> BudgetStatus:
        status = self._budgets.get(provider)
        if status is None or status.month != month:
            status = BudgetStatus(month)
            self._budgets[provider] = status
        return status

    async def snapshot(self, providers: Sequence[str], now: float) -> ChainFacts:
        month = month_key(now)
        observations = tuple(
            seen
            for name in providers
            for seen in self._observations.get(name, ())
            if now - seen.at <= WINDOW_S
        )
        return ChainFacts(
            health={name: self._health[name] for name in providers if name in self._health},
            cooldown_until={name: self._cooldowns[name] for name in providers if name in self._cooldowns},
            budgets={name: self._budget(name, month) for name in providers},
            observations=observations,
        )

    async def reserve_spend(
        self, provider: str, amount_usd: float, cap_usd: float, now: float
    ) -> Reservation | None:
        month = month_key(now)
        status = self._budget(provider, month)
        if status.spent_usd + status.reserved_usd + amount_usd > cap_usd:
            return None
        self._budgets[provider] = replace(status, reserved_usd=status.reserved_usd + amount_usd)
        reservation = Reservation(provider, month, amount_usd, next(self._tokens))
        self._reservations[reservation.token] = reservation
        return reservation

    async def settle_spend(self, reservation: Reservation, cost_usd: float) -> None:
        if self._reservations.pop(reservation.token, None) is None:
            return
        status = self._budgets.get(reservation.provider)
        if status is None or status.month != reservation.month:
            return
        self._budgets[reservation.provider] = replace(
            status,
            spent_usd=status.spent_usd + max(cost_usd, 0.0),
            reserved_usd=max(status.reserved_usd - reservation.amount_usd, 0.0),
        )

    async def record_spend(self, provider: str, cost_usd: float, now: float) -> None:
        if cost_usd <= 0:
            return
        status = self._budget(provider, month_key(now))
        self._budgets[provider] = replace(status, spent_usd=status.spent_usd + cost_usd)

    async def record_failure(self, provider: str, threshold: int, now: float) -> HealthChange | None:
        return self._set_health(
            provider, after_failure(self._health_of(provider), threshold=threshold, now=now)
        )

    async def record_success(self, provider: str, now: float) -> HealthChange | None:
        return self._set_health(provider, after_success(self._health_of(provider), now=now))

    def _health_of(self, provider: str) -> ProviderHealth:
        return self._health.get(provider, ProviderHealth())

    def _set_health(self, provider: str, new: ProviderHealth) -> HealthChange | None:
        old = self._health_of(provider)
        self._health[provider] = new
        return HealthChange(provider, old.state, new) if new.state != old.state else None

    async def start_cooldown(self, provider: str, cooldown_s: float, now: float) -> float:
        until = cooldown_until(now, cooldown_s, self._cooldowns.get(provider))
        self._cooldowns[provider] = until
        return until

    async def record_observation(self, observation: Observation) -> None:
        self._observations[observation.provider].append(observation)
