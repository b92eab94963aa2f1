"""A settle or a charge the state store refuses is written once the store takes writes again."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from coderouter_supervisor.state import (
    StateBackend,
    StateUnavailable,
    open_state,
    state_admin,
)
from coderouter_supervisor.worker.engine import FactCache
from coderouter_supervisor.worker.money import Reservation, Spend, month_key
from coderouter_supervisor.worker.telemetry import StateStatus


class Refusing:
    """A real store whose writes of spend fail while ``down`` (as a full disk or a restarted server
    makes them fail), or land but answer with a failure while ``answer_lost`` (a server gone
    mid-commit); everything else goes through."""

    def __init__(self, store: StateBackend) -> None:
        self._store = store
        self.down = False
        self.answer_lost = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _refuse(self) -> None:
        if self.down:
            raise StateUnavailable("disk I/O error", whole_file=True)

    async def settle_spend(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse()
        settled = await self._store.settle_spend(*args, **kwargs)
        if self.answer_lost:
            raise StateUnavailable("server closed the connection unexpectedly", whole_file=True)
        return settled

    async def record_spend(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse()
        return await self._store.record_spend(*args, **kwargs)


@asynccontextmanager
async def _holding(
    tmp_path: Path, now: float
) -> AsyncIterator[tuple[StateBackend, Refusing, FactCache, Reservation]]:
    """A fresh store behind :class:`Refusing`, a fact cache on it, and a $2 hold on ``claude``."""
    location = tmp_path / "state.db"
    state_admin(location).migrate()
    store = await open_state(location)
    try:
        worker = await store.register_worker(os.getpid(), now)
        refusing = Refusing(store)
        facts = FactCache(refusing, lambda: worker, status=StateStatus())
        held = await facts.hold("claude", 2.0, 10.0, now)
        assert held is not None
        yield store, refusing, facts, held
    finally:
        await store.close()


def test_refused_settles_and_charges_are_written_at_the_first_flush_that_can(tmp_path: Path) -> None:
    now = time.time()
    month = month_key(now)

    async def scenario() -> None:
        async with _holding(tmp_path, now) as (store, refusing, facts, held):
            refusing.down = True
            await facts.settle(held, Spend(0.5, 10, 5))
            await facts.charge("key:alice", Spend(0.25, 1, 1), now)
            await facts.flush()  # still down: nothing written, nothing dropped
            [entry] = await store.read_ledger(month)
            assert (entry.provider, entry.spent_usd, entry.reserved_usd) == ("claude", 0.0, 2.0)
            refusing.down = False
            await facts.flush()
            ledger = {e.provider: e for e in await store.read_ledger(month)}
            assert (ledger["claude"].spent_usd, ledger["claude"].reserved_usd) == (0.5, 0.0)
            assert ledger["claude"].requests == 1
            assert (ledger["key:alice"].spent_usd, ledger["key:alice"].requests) == (0.25, 1)
            await facts.flush()  # written once: a second flush adds nothing
            again = {e.provider: e for e in await store.read_ledger(month)}
            assert again == ledger

    asyncio.run(scenario())


def test_a_retried_settle_that_had_landed_is_not_counted_twice(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with _holding(tmp_path, time.time()) as (store, refusing, facts, held):
            refusing.answer_lost = True
            await facts.settle(held, Spend(0.5, 10, 5))
            refusing.answer_lost = False
            await facts.flush()
            [entry] = await store.read_ledger(held.month)
            assert (entry.spent_usd, entry.requests) == (0.5, 1)

    asyncio.run(scenario())
