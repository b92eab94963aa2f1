"""The provider facts every worker shares (budget ledger, health, cooldowns, latency observations):
the state store behind a short per-worker cache, as the engine reads and writes them.

Reads go through a cache of at most :data:`FACTS_TTL_S`, so a change made by one worker is seen
by every other within a second without a database read per request. Writes are one short
transaction each, and only when something changed: a success on a healthy provider writes
nothing, and attempt observations are written in batches (every :data:`FLUSH_INTERVAL_S` and at
exit). A free provider's request therefore costs no write at all on its way through.

When the state file is unusable (read-only, disk full, corrupt) the gateway keeps serving from
what it last knew, budgeted providers fail closed (no reservation, so they are skipped), and the
problem is logged once per change and shown by ``/healthz``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from coderouter_supervisor.state import (
    AttemptRecord,
    HealthRecord,
    Settled,
    Settlement,
    StateBackend,
    StateError,
)
from coderouter_supervisor.worker.guards import (
    WINDOW_S,
    HealthState,
    Observation,
    ProviderHealth,
    after_failure,
    after_success,
    cooldown_until,
)
from coderouter_supervisor.worker.money import Reservation, Spend, SpendLedger, month_key
from coderouter_supervisor.worker.routing import ChainFacts, chain_facts_from, health_from
from coderouter_supervisor.worker.telemetry import StateStatus, emit_event

FACTS_TTL_S = 0.5
FLUSH_INTERVAL_S = 1.0
# When a hold whose worker is still there is charged at its full amount anyway. Nothing bounds how
# long an attempt runs today: an upstream's ``timeout_s`` (at most 600 s) bounds each wait for it,
# not the whole exchange, and a stream lasts as long as the upstream keeps sending (gunicorn's
# graceful timeout cuts it only when the worker stops). So this is not the end of the attempt: an
# expired hold stays counted (charged, where it was held) and the attempt's own settle still replaces
# the charge with the real cost. An hour keeps a long agent stream's hold a hold; a worker that is
# gone loses its holds at once (see ``state.budget_ledger``).
RESERVATION_HOLD_S = 3600.0


def _record(provider: str, health: ProviderHealth) -> HealthRecord:
    return HealthRecord(provider, str(health.state), health.consecutive_failures, health.changed_at)


@dataclass(frozen=True)
class HealthChange:
    provider: str
    old_state: HealthState
    new: ProviderHealth


class FactStore(SpendLedger, Protocol):
    """Durable provider facts. Every method is one short operation; none raises for a busy store."""

    async def read_chain_facts(
        self, providers: Sequence[str], now: float, *, observations: bool
    ) -> ChainFacts:
        """The facts about ``providers``; recent attempt observations only when asked (adaptive)."""

    async def record_failure(self, provider: str, threshold: int, now: float) -> HealthChange | None: ...

    async def record_success(self, provider: str, now: float) -> HealthChange | None: ...

    async def start_cooldown(self, provider: str, cooldown_s: float, now: float) -> float: ...

    async def record_observation(self, provider: str, at: float, latency_ms: float | None, ok: bool) -> None:
        """One finished attempt (an :class:`Observation`'s fields: it is built only when read)."""


@dataclass
class _Cached:
    facts: ChainFacts
    read_at: float  # monotonic


class FactCache:
    """The :class:`FactStore` of one worker. Open with the worker's :class:`StateBackend` and its
    heartbeat id; :meth:`start` the flusher."""

    def __init__(
        self,
        store: StateBackend,
        worker_id: Callable[[], int | None],
        flush_s: float = FLUSH_INTERVAL_S,
        share_observations: bool = True,
        status: StateStatus | None = None,
    ) -> None:
        """Every ``flush_s`` the usage counted for later is written, and the latency observations
        unless ``share_observations`` is off (then they stay in this worker's memory). Failures and
        recoveries are reported to ``status``, which the rest of the worker shares."""
        self._store = store
        self.status = status or StateStatus()
        self._flush_s = flush_s
        self._share_observations = share_observations
        self._usage: dict[tuple[str, str], Settlement] = {}
        self._worker_id = worker_id
        self._cache: dict[tuple[str, ...], _Cached] = {}
        self._pending: deque[AttemptRecord] = deque()
        # Settles the store refused: retried at each flush until one lands (see :meth:`settle`).
        self._unsettled: list[tuple[Reservation, Settlement | None]] = []
        self._failing: set[str] = set()  # providers this worker saw fail since their last recorded success
        self._flusher: asyncio.Task[None] | None = None

    @property
    def problem(self) -> str | None:
        """Why the state file cannot be trusted now (see :class:`StateStatus`), or None. A worker not
        registered yet counts: it cannot hold a budget until its heartbeat row exists."""
        if self.status.problem is None and self._worker_id() is None:
            return "heartbeat: this worker has not registered in the state file yet"
        return self.status.problem

    async def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_forever(), name="facts-flush")

    async def stop(self) -> None:
        """Stop the flusher and write what is still pending."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()

    def _failed(self, what: str, error: StateError) -> None:
        self.status.failed(what, error)

    def _recovered(self, what: str) -> None:
        self.status.succeeded(what, wrote=True)

    def _forget(self, provider: str) -> None:
        """Drop cached chain facts that include ``provider``: this worker just changed a fact about it."""
        for key in [key for key in self._cache if provider in key]:
            del self._cache[key]

    async def read_chain_facts(
        self, providers: Sequence[str], now: float, *, observations: bool
    ) -> ChainFacts:
        key = (*providers, "+observations") if observations else tuple(providers)
        cached = self._cache.get(key)
        if cached is not None and time.monotonic() - cached.read_at < FACTS_TTL_S:
            return cached.facts
        try:
            read = await self._store.read_provider_facts(
                key, month=month_key(now), attempts_since=now - WINDOW_S
            )
        except StateError as error:
            self._failed("read", error)
            return cached.facts if cached is not None else ChainFacts()
        self.status.succeeded("read", wrote=False)
        facts = chain_facts_from(read)
        # Observations this worker has not flushed yet count too.
        pending = tuple(
            Observation(a.provider, a.at, a.latency_ms, a.ok)
            for a in self._pending
            if observations and a.provider in key and a.at >= now - WINDOW_S
        )
        if pending:
            facts = ChainFacts(
                facts.health, facts.cooldown_until, facts.budgets, facts.observations + pending
            )
        self._cache[key] = _Cached(facts, time.monotonic())
        return facts

    async def hold(self, ledger: str, amount_usd: float, cap_usd: float, now: float) -> Reservation | None:
        worker_id = self._worker_id()
        if worker_id is None:
            return None
        month = month_key(now)
        try:
            hold = await self._store.reserve_spend(
                provider=ledger,
                month=month,
                amount_usd=amount_usd,
                cap_usd=cap_usd,
                worker_id=worker_id,
                now=now,
                hold_s=RESERVATION_HOLD_S,
            )
        except StateError as error:
            self._failed("reserve", error)
            return None
        self._recovered("reserve")
        for reclaimed in hold.reclaimed:
            # Charged at the hold: the upstream may have billed a request its worker never settled.
            emit_event(
                "spend-estimated",
                "warning",
                ledger=reclaimed.provider,
                month=reclaimed.month,
                cost_usd=round(reclaimed.amount_usd, 6),
                reason=reclaimed.reason,
                worker_id=reclaimed.worker_id,
            )
        # The cached budget may now be stale by this hold; the next reservation checks exactly.
        if hold.reservation_id is None:
            return None
        return Reservation(ledger, month, amount_usd, hold.reservation_id, cap_usd)

    async def settle(self, reservation: Reservation, spend: Spend | None) -> None:
        settlement = (
            None if spend is None else Settlement(spend.cost_usd, spend.input_tokens, spend.output_tokens)
        )
        try:
            settled = await self._store.settle_spend(
                reservation.token, reservation.provider, reservation.month, settlement
            )
        except StateError as error:
            # Loud: this spend is not in the ledger yet. Its hold keeps the cap safe meanwhile, and
            # the settle is retried at each flush until the store takes it.
            self._failed("settle", error)
            emit_event(
                "spend-not-recorded",
                "error",
                provider=reservation.provider,
                cost_usd=spend.cost_usd if spend else 0.0,
            )
            self._unsettled.append((reservation, settlement))
            return
        self._recovered("settle")
        self._check_overrun(reservation, settled)

    def _check_overrun(self, reservation: Reservation, settled: Settled) -> None:
        if settled.spent_usd > reservation.cap_usd:
            # A settle whose hold was gone, or that cost more than it held: the spend is recorded all
            # the same, and at or past the cap no reservation fits, so the ledger is closed for the
            # month from now on.
            emit_event(
                "budget-overrun",
                "warning",
                ledger=reservation.provider,
                month=reservation.month,
                spent_usd=round(settled.spent_usd, 6),
                monthly_budget_usd=reservation.cap_usd,
                hold=settled.hold,
            )

    async def charge(self, ledger: str, spend: Spend, now: float) -> None:
        settlement = Settlement(spend.cost_usd, spend.input_tokens, spend.output_tokens)
        try:
            await self._store.record_spend([(ledger, month_key(now), settlement)])
        except StateError as error:
            self._failed("record-spend", error)
            emit_event("spend-not-recorded", "error", provider=ledger, cost_usd=spend.cost_usd)
            self._add_usage(ledger, month_key(now), settlement)  # written at a later flush
            return
        self._recovered("record-spend")

    async def _update_health(
        self, provider: str, transition: Callable[[ProviderHealth], ProviderHealth]
    ) -> HealthChange | None:
        def on_record(record: HealthRecord | None) -> HealthRecord:
            return _record(provider, transition(health_from(record) if record else ProviderHealth()))

        try:
            old, new = await self._store.update_health(provider, on_record)
        except StateError as error:
            self._failed("health", error)
            return None
        self._recovered("health")
        self._forget(provider)
        old_state = HealthState(old.state) if old else HealthState.HEALTHY
        if old_state == HealthState(new.state):
            return None
        return HealthChange(provider, old_state, health_from(new))

    async def record_failure(self, provider: str, threshold: int, now: float) -> HealthChange | None:
        self._failing.add(provider)
        return await self._update_health(provider, lambda h: after_failure(h, threshold=threshold, now=now))

    async def record_success(self, provider: str, now: float) -> HealthChange | None:
        known = [cached.facts.health_of(provider) for key, cached in self._cache.items() if provider in key]
        failing = provider in self._failing or any(
            h.consecutive_failures or h.state != "healthy" for h in known
        )
        if not failing:
            # Nothing to reset as far as this worker knows (at most FACTS_TTL_S old): no write.
            return None
        change = await self._update_health(provider, lambda h: after_success(h, now=now))
        self._failing.discard(provider)
        return change

    async def start_cooldown(self, provider: str, cooldown_s: float, now: float) -> float:
        until = cooldown_until(now, cooldown_s)
        try:
            until = await self._store.start_cooldown(provider, until)
        except StateError as error:
            self._failed("cooldown", error)
            return until
        self._recovered("cooldown")
        self._forget(provider)
        return until

    async def record_observation(self, provider: str, at: float, latency_ms: float | None, ok: bool) -> None:
        self._pending.append(AttemptRecord(provider, at, latency_ms, ok))
        if not self._share_observations:
            # Kept in memory only: the pending ones are the window.
            while self._pending[0].at < at - WINDOW_S:
                self._pending.popleft()

    def count_usage(self, ledger: str, spend: Spend, now: float) -> None:
        """Add usage that cost nothing (a client key's request to a free provider) to ``ledger`` at the
        next flush: a request count is not worth a write per request."""
        self._add_usage(
            ledger, month_key(now), Settlement(spend.cost_usd, spend.input_tokens, spend.output_tokens)
        )

    def _add_usage(self, ledger: str, month: str, settlement: Settlement) -> None:
        before = self._usage.get((ledger, month), Settlement(0.0, requests=0))
        self._usage[ledger, month] = Settlement(
            before.cost_usd + settlement.cost_usd,
            before.input_tokens + settlement.input_tokens,
            before.output_tokens + settlement.output_tokens,
            before.requests + settlement.requests,
        )

    async def flush(self) -> None:
        """Retry the settles the store refused, write the usage counted for later, then the pending
        observations (each in one transaction)."""
        await self._retry_settles()
        if self._usage:
            usage, self._usage = self._usage, {}
            try:
                await self._store.record_spend([(ledger, month, s) for (ledger, month), s in usage.items()])
            except StateError as error:
                self._failed("record-usage", error)
                for (ledger, month), settlement in usage.items():  # kept for the next flush
                    self._add_usage(ledger, month, settlement)
            else:
                self._recovered("record-usage")
        if not self._pending or not self._share_observations:
            return
        batch, self._pending = list(self._pending), deque()
        try:
            await self._store.append_attempts(batch, keep_since=time.time() - WINDOW_S)
        except StateError as error:
            self._failed("observations", error)
            return
        self._recovered("observations")

    async def _retry_settles(self) -> None:
        while self._unsettled:
            reservation, settlement = self._unsettled[0]
            try:
                settled = await self._store.settle_spend(
                    reservation.token, reservation.provider, reservation.month, settlement, retry=True
                )
            except StateError as error:
                self._failed("settle", error)
                return
            self._unsettled.pop(0)
            self._recovered("settle")
            emit_event(
                "spend-recorded-late",
                provider=reservation.provider,
                cost_usd=settlement.cost_usd if settlement else 0.0,
            )
            self._check_overrun(reservation, settled)

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(self._flush_s)
            await self.flush()
