"""Observe every attempt of one request: budget holds, health, cooldowns, latency, cost, events.

One :class:`AttemptRecorder` per client request. The attempt loop calls :meth:`admit` before
trying a provider (a budgeted one must first reserve its worst-case cost), then
:meth:`failed` or :meth:`succeeded`; a streamed answer is settled by :meth:`finished` when
its stream ends. Decisions come from the pure guards; facts go to the :class:`FactStore`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.errors import UpstreamError, UpstreamOutOfMemory
from coderouter_supervisor.worker.guards import Observation, counts_against_backend
from coderouter_supervisor.worker.routing.facts import (
    FactStore,
    HealthChange,
    NotAdmitted,
    Reservation,
    Spend,
    month_key,
)
from coderouter_supervisor.worker.telemetry.cost import cache_outcome, is_priced, price_usage, worst_case_cost
from coderouter_supervisor.worker.telemetry.events import emit_event
from coderouter_supervisor.worker.translate import TokenUsage

# A budget hold assumes up to twice the estimated input tokens: the estimate is four characters a
# token, and tokenizers count code, JSON and non-Latin text at two or three. Output is bounded
# exactly by max_tokens, so with this margin settled spend stays within the cap.
_INPUT_MARGIN = 2


@dataclass(frozen=True)
class RequestShape:
    """What the recorder needs to know about the request itself."""

    input_tokens: int
    max_tokens: int
    streaming: bool
    cache_control: bool


def request_worst_case(providers: Sequence[ProviderConfig], shape: RequestShape) -> float:
    """The most one request may cost on any of ``providers`` (0 when all are free)."""
    return max(
        (
            worst_case_cost(
                p.cost, input_tokens=shape.input_tokens * _INPUT_MARGIN, max_tokens=shape.max_tokens
            )
            for p in providers
        ),
        default=0.0,
    )


class AttemptRecorder:
    """``key_ledger`` names the client key's ledger entry (``key:NAME``); ``key_hold`` is that key's
    budget reservation for the whole request. :meth:`close` settles it with what every attempt
    cost, or records the cost for a key without a budget; it also calls ``release_slot``, which frees
    the request's place among its key's ``max_concurrent``."""

    def __init__(
        self,
        facts: FactStore,
        profile: ProfileConfig,
        shape: RequestShape,
        *,
        key_ledger: str | None = None,
        key_hold: Reservation | None = None,
        release_slot: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._facts = facts
        self._profile = profile
        self._shape = shape
        self._key_ledger = key_ledger
        self._key_hold = key_hold
        self._release_slot = release_slot
        self._request_spend = Spend(0.0)
        self._reservations: dict[str, Reservation] = {}
        self._started: dict[str, float] = {}
        self._settled: set[str] = set()

    async def admit(self, provider: ProviderConfig) -> NotAdmitted | None:
        """None when ``provider`` may be tried now, else why not: a budgeted one reserves its worst
        case first, and is skipped when that does not fit (``budget``) or the state file cannot say
        (``state-unavailable``)."""
        self._started[provider.name] = time.monotonic()
        emit_event(
            "try-provider", provider=provider.name, profile=self._profile.name, stream=self._shape.streaming
        )
        cost = provider.cost
        if cost is None or cost.monthly_budget_usd is None:
            return None
        worst = worst_case_cost(
            cost, input_tokens=self._shape.input_tokens * _INPUT_MARGIN, max_tokens=self._shape.max_tokens
        )
        now = time.time()
        reservation = await self._facts.reserve_spend(provider.name, worst, cost.monthly_budget_usd, now)
        if reservation is None:
            problem = self._facts.problem
            if problem is not None:
                emit_event(
                    "skip-state-unavailable",
                    "warning",
                    provider=provider.name,
                    profile=self._profile.name,
                    error=problem,
                )
                return NotAdmitted("state-unavailable", problem)
            emit_event(
                "skip-budget-exceeded",
                provider=provider.name,
                profile=self._profile.name,
                monthly_budget_usd=cost.monthly_budget_usd,
                request_worst_case_usd=round(worst, 6),
                month=month_key(now),
            )
            return NotAdmitted("budget")
        self._reservations[provider.name] = reservation
        return None

    def _observe(self, provider: str, ok: bool) -> Observation:
        started = self._started.get(provider)
        latency_ms = (time.monotonic() - started) * 1000 if started is not None else None
        return Observation(provider=provider, at=time.time(), latency_ms=latency_ms, ok=ok)

    async def failed(self, provider: ProviderConfig, error: UpstreamError) -> None:
        """An attempt failed (before or after the first byte): release its hold, update the facts."""
        reservation = self._reservations.pop(provider.name, None)
        if reservation is not None:
            await self._facts.settle_spend(reservation, None)
        await self.broke(provider, error)

    async def broke(self, provider: ProviderConfig, error: UpstreamError) -> None:
        """A failure that counts against the provider; its spend is settled separately."""
        await self._facts.record_observation(self._observe(provider.name, ok=False))
        now = time.time()
        profile = self._profile
        if isinstance(error, UpstreamOutOfMemory) and profile.memory_pressure_action != "off":
            await self._facts.start_cooldown(provider.name, profile.memory_pressure_cooldown_s, now)
            emit_event(
                "memory-pressure-detected",
                "warning",
                provider=provider.name,
                profile=profile.name,
                action=profile.memory_pressure_action,
                cooldown_s=profile.memory_pressure_cooldown_s,
                error=error.message[:200],
            )
        if profile.backend_health_action != "off" and counts_against_backend(error):
            change = await self._facts.record_failure(provider.name, profile.backend_health_threshold, now)
            self._health_changed(change)

    async def succeeded(self, provider: ProviderConfig, usage: TokenUsage | None) -> None:
        """The provider answered (for a stream: its first content arrived).

        ``usage`` settles the attempt now; a stream passes None and settles in :meth:`finished`.
        """
        observation = self._observe(provider.name, ok=True)
        await self._facts.record_observation(observation)
        if self._profile.backend_health_action != "off":
            self._health_changed(await self._facts.record_success(provider.name, time.time()))
        emit_event(
            "provider-ok",
            provider=provider.name,
            profile=self._profile.name,
            stream=self._shape.streaming,
            latency_ms=None if observation.latency_ms is None else round(observation.latency_ms, 1),
        )
        if usage is not None:
            await self.finished(provider, usage)

    async def finished(self, provider: ProviderConfig, usage: TokenUsage | None) -> None:
        """Price what the provider produced and settle its budget hold. Idempotent per provider."""
        if provider.name in self._settled:
            return
        self._settled.add(provider.name)
        used = usage or TokenUsage()
        cost = price_usage(provider.cost, used)
        spend = Spend(cost.total_usd, used.total_input_tokens, used.output_tokens)
        total = self._request_spend
        self._request_spend = Spend(
            total.cost_usd + spend.cost_usd,
            total.input_tokens + spend.input_tokens,
            total.output_tokens + spend.output_tokens,
        )
        reservation = self._reservations.pop(provider.name, None)
        if reservation is not None:
            await self._facts.settle_spend(reservation, spend)
        elif is_priced(provider.cost) and cost.total_usd > 0:
            await self._facts.record_spend(provider.name, spend, time.time())
        emit_event(
            "cache-observed",
            provider=provider.name,
            request_had_cache_control=self._shape.cache_control,
            outcome=cache_outcome(usage),
            cache_read_input_tokens=used.cache_read_tokens,
            cache_creation_input_tokens=used.cache_creation_tokens,
            input_tokens=used.input_tokens,
            output_tokens=used.output_tokens,
            streaming=self._shape.streaming,
            **cost.as_event_fields(),
        )

    async def close(self) -> None:
        """The request is over: release provider holds still open (attempts the client left before
        they ended), free the key's concurrency slot and settle the key's hold with what the request
        cost. Idempotent: whatever ended the request, the slot is released exactly once."""
        release, self._release_slot = self._release_slot, None
        if release is not None:
            await release()
        while self._reservations:
            _, reservation = self._reservations.popitem()
            await self._facts.settle_spend(reservation, None)
        hold, self._key_hold = self._key_hold, None
        ledger, self._key_ledger = self._key_ledger, None
        if hold is not None:
            await self._facts.settle_spend(hold, self._request_spend)
        elif ledger is not None and self._request_spend.cost_usd > 0:
            await self._facts.record_spend(ledger, self._request_spend, time.time())
        elif ledger is not None:
            self._facts.count_usage(ledger, self._request_spend, time.time())

    def _health_changed(self, change: HealthChange | None) -> None:
        if change is None:
            return
        emit_event(
            "backend-health-changed",
            "warning" if change.new.state != "healthy" else "info",
            provider=change.provider,
            profile=self._profile.name,
            old_state=str(change.old_state),
            new_state=str(change.new.state),
            consecutive_failures=change.new.consecutive_failures,
        )
