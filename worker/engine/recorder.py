"""Observe every attempt of one request: budget holds, health, cooldowns, latency, cost, events.

One :class:`AttemptRecorder` per client request. The attempt loop calls :meth:`admit` before
trying a provider (a budgeted one must first reserve its worst-case cost), then
:meth:`failed` or :meth:`succeeded`; a streamed answer is settled by :meth:`finished` when
its stream ends. Decisions come from the pure guards; holds and settlement from :mod:`..money`;
facts go to the :class:`FactStore`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.engine.context import SYSTEM_CLOCK, Clock
from coderouter_supervisor.worker.engine.fact_cache import FactStore, HealthChange
from coderouter_supervisor.worker.errors import (
    UpstreamError,
    UpstreamOutOfMemory,
)
from coderouter_supervisor.worker.guards import counts_against_backend
from coderouter_supervisor.worker.money import (
    EstimateReason,
    NotAdmitted,
    RequestShape,
    Reservation,
    Spend,
    add_spend,
    attempt_worst_case,
    cache_outcome,
    hold_provider_budget,
    key_ledger,
    maybe_billed,
    price_attempt,
    top_up_key_budget,
)
from coderouter_supervisor.worker.telemetry import current_request_answer, emit_event
from coderouter_supervisor.worker.translate import NO_USAGE, UsageReport


class AttemptRecorder:
    """``key_name`` names the request's client key; ``key_hold`` is that key's
    budget reservation for the whole request (``key_budget_usd`` its cap), topped up before an
    attempt when earlier ones were recorded at a cost. :meth:`close` settles it with what every attempt
    cost, or records the cost for a key without a budget; it also calls ``release_slot``, which frees
    the request's place among its key's ``max_concurrent``."""

    def __init__(
        self,
        facts: FactStore,
        profile: ProfileConfig,
        shape: RequestShape,
        *,
        key_name: str | None = None,
        key_hold: Reservation | None = None,
        key_budget_usd: float | None = None,
        release_slot: Callable[[], Awaitable[None]] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._facts = facts
        self._profile = profile
        self._shape = shape
        self._clock = clock
        self._key_name = key_name
        self._key_hold = key_hold
        self._key_budget_usd = key_budget_usd
        self._key_top_ups: list[Reservation] = []
        self._release_slot = release_slot
        self._request_spend = Spend(0.0)
        self._reservations: dict[str, Reservation] = {}
        self._in_flight: dict[str, ProviderConfig] = {}  # admitted, neither failed nor settled
        self._started: dict[str, float] = {}
        self._settled: set[str] = set()

    async def admit(self, provider: ProviderConfig) -> NotAdmitted | None:
        """None when ``provider`` may be tried now, else why not: a budgeted one first reserves the
        most the attempt can cost (:func:`attempt_worst_case`), and is skipped when that does not fit
        (``budget``) or the state file cannot say (``state-unavailable``)."""
        self._started[provider.name] = self._clock.monotonic()
        emit_event(
            "try-provider",
            "debug",
            provider=provider.name,
            profile=self._profile.name,
            stream=self._shape.streaming,
        )
        refused = await self._cover_key(provider)
        if refused is not None:
            return refused
        cost = provider.cost
        if cost is None or cost.monthly_budget_usd is None:
            self._in_flight[provider.name] = provider
            return None
        hold = await hold_provider_budget(
            self._facts,
            provider,
            cost.monthly_budget_usd,
            self._shape,
            profile=self._profile.name,
            now=self._clock.wall(),
        )
        if isinstance(hold, NotAdmitted):
            return hold
        self._reservations[provider.name] = hold
        self._in_flight[provider.name] = provider
        return None

    async def _cover_key(self, provider: ProviderConfig) -> NotAdmitted | None:
        """None when the key's holds cover what the request has cost so far plus the most this
        attempt can cost, reserving the difference when they do not; else why the attempt may not go
        ahead."""
        hold, name, cap = self._key_hold, self._key_name, self._key_budget_usd
        if hold is None or name is None or cap is None:
            return None
        held = hold.amount_usd + sum(top_up.amount_usd for top_up in self._key_top_ups)
        missing = self._request_spend.cost_usd + attempt_worst_case(provider, self._shape) - held
        if missing <= 0:
            return None
        top_up = await top_up_key_budget(
            self._facts, name, cap, missing, provider=provider.name, now=self._clock.wall()
        )
        if isinstance(top_up, NotAdmitted):
            return top_up
        self._key_top_ups.append(top_up)
        return None

    async def _observe(self, provider: str, ok: bool) -> float | None:
        """Record the attempt's outcome and latency with the facts; returns the latency (ms)."""
        started = self._started.get(provider)
        latency_ms = (self._clock.monotonic() - started) * 1000 if started is not None else None
        await self._facts.record_observation(provider, self._clock.wall(), latency_ms, ok)
        return latency_ms

    async def failed(self, provider: ProviderConfig, error: UpstreamError) -> None:
        """An attempt failed before its first byte (the upstream answered an error, or never
        answered): settle its hold at the estimate when it may have been billed, else release it;
        update the facts."""
        billed = maybe_billed(error)
        if billed is not None:
            await self.finished(provider, NO_USAGE, unknown_because=billed)
        self._in_flight.pop(provider.name, None)
        reservation = self._reservations.pop(provider.name, None)
        if reservation is not None:
            await self._facts.settle(reservation, None)
        await self.broke(provider, error)

    async def broke(self, provider: ProviderConfig, error: UpstreamError) -> None:
        """A failure that counts against the provider; its spend is settled separately."""
        await self._observe(provider.name, ok=False)
        now = self._clock.wall()
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

    async def succeeded(self, provider: ProviderConfig, usage: UsageReport | None) -> None:
        """The provider answered (for a stream: its first content arrived).

        ``usage`` (a whole answer's) settles the attempt now; a stream passes None and settles in
        :meth:`finished`.
        """
        measured = await self._observe(provider.name, ok=True)
        if self._profile.backend_health_action != "off":
            self._health_changed(await self._facts.record_success(provider.name, self._clock.wall()))
        latency_ms = None if measured is None else round(measured, 1)
        emit_event(
            "provider-ok",
            "debug",
            provider=provider.name,
            profile=self._profile.name,
            stream=self._shape.streaming,
            latency_ms=latency_ms,
        )
        answer = current_request_answer.get()
        if answer is not None:
            answer.provider, answer.latency_ms = provider.name, latency_ms
        if usage is not None:
            await self.finished(provider, usage, unknown_because="answer-without-usage")

    async def finished(
        self, provider: ProviderConfig, report: UsageReport, *, unknown_because: EstimateReason
    ) -> None:
        """Price what the provider produced and settle its budget hold. Idempotent per provider.

        Usage the upstream did not report in full is recorded at :func:`usage_to_record`'s
        estimate, with a ``spend-estimated`` event saying ``unknown_because``.
        """
        if provider.name in self._settled:
            return
        self._settled.add(provider.name)
        self._in_flight.pop(provider.name, None)
        priced = price_attempt(report, provider, self._shape)
        used, cost = priced.used, priced.cost
        if priced.estimated:
            emit_event(
                "spend-estimated",
                "warning",
                provider=provider.name,
                reason=unknown_because,
                reported_input_tokens=None if report.usage is None else report.usage.total_input_tokens,
                estimated_input_tokens=used.total_input_tokens,
                estimated_output_tokens=used.output_tokens,
                cost_usd=round(cost.total_usd, 6),
            )
        self._request_spend = add_spend(self._request_spend, priced.spend)
        reservation = self._reservations.pop(provider.name, None)
        if reservation is not None:
            await self._facts.settle(reservation, priced.spend)
        elif priced.charged_without_hold:
            await self._facts.charge(provider.name, priced.spend, self._clock.wall())
        answer = current_request_answer.get()
        if answer is not None and provider.cost is not None:
            answer.cost_usd = (answer.cost_usd or 0.0) + cost.total_usd
        emit_event(
            "cache-observed",
            "debug",
            provider=provider.name,
            request_had_cache_control=self._shape.cache_control,
            outcome=cache_outcome(priced.reported),
            cache_read_input_tokens=used.cache_read_tokens,
            cache_creation_input_tokens=used.cache_creation_tokens,
            input_tokens=used.input_tokens,
            output_tokens=used.output_tokens,
            streaming=self._shape.streaming,
            **cost.as_event_fields(),
        )

    async def close(self) -> None:
        """The request is over: settle attempts still in flight (the client left before they
        ended; their request may have reached the upstream, which bills it) at their estimate,
        free the key's concurrency slot and settle the key's hold with what the request cost.
        Idempotent: whatever ended the request, the slot is released exactly once."""
        release, self._release_slot = self._release_slot, None
        if release is not None:
            await release()
        while self._in_flight:
            _, provider = self._in_flight.popitem()
            await self.finished(provider, NO_USAGE, unknown_because="client-left")
        hold, self._key_hold = self._key_hold, None
        name, self._key_name = self._key_name, None
        top_ups, self._key_top_ups = self._key_top_ups, []
        if hold is not None:
            await self._facts.settle(hold, self._request_spend)
        elif name is not None and self._request_spend.cost_usd > 0:
            await self._facts.charge(key_ledger(name), self._request_spend, self._clock.wall())
        elif name is not None:
            self._facts.count_usage(key_ledger(name), self._request_spend, self._clock.wall())
        # Released only once the spend they covered is recorded, so no other request takes the room.
        for top_up in top_ups:
            await self._facts.settle(top_up, None)

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
