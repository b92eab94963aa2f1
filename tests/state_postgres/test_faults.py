"""A PostgreSQL server restarted or killed under an open handle: the next operation fails as an
unusable store does (budgeted providers then fail closed), the handle reconnects by itself, its check
reports the outage and the recovery, and no committed settlement is lost. Each test has a server of
its own, since it stops it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

import pytest

from coderouter_supervisor.state import Settlement, StateBackend, StateUnavailable, open_state, state_admin

from support.postgres import PostgresServer, postgres_server

T = TypeVar("T")
NOW = 1_764_590_400.0
MONTH = "2025-12"


@pytest.fixture
def server() -> Iterator[PostgresServer]:
    with postgres_server() as own:
        state_admin(own.url()).migrate()
        yield own


async def until_it_works(call: Callable[[], Awaitable[T]], timeout_s: float = 15.0) -> T:
    """``call`` once it stops raising :class:`StateUnavailable` (polled: the handle reconnects by itself)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await call()
        except StateUnavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def settle_one(store: StateBackend, worker: int, cost: float) -> None:
    hold = await store.reserve_spend(
        provider="claude", month=MONTH, amount_usd=1.0, cap_usd=10.0, worker_id=worker, now=NOW, hold_s=600.0
    )
    assert hold.reservation_id is not None
    await store.settle_spend(hold.reservation_id, "claude", MONTH, Settlement(cost))


async def outage_and_recovery(server: PostgresServer, go_down: Callable[[], None]) -> None:
    store = await open_state(server.url())
    try:
        worker = await store.register_worker(os.getpid(), NOW)
        await settle_one(store, worker, 0.5)
        go_down()
        with pytest.raises(StateUnavailable) as down:
            await store.check_store()
        assert down.value.whole_file  # the whole store: every operation fails alike
        with pytest.raises(StateUnavailable):
            await store.reserve_spend(
                provider="claude",
                month=MONTH,
                amount_usd=1.0,
                cap_usd=10.0,
                worker_id=worker,
                now=NOW,
                hold_s=60,
            )
        server.start()
        await until_it_works(store.check_store)  # recovery reported, without reopening the handle
        await settle_one(store, worker, 0.25)
        [entry] = await store.read_ledger(MONTH)
        assert (entry.spent_usd, entry.requests, entry.reserved_usd) == (0.75, 2, 0.0)
    finally:
        await store.close()


def test_a_server_restart_fails_the_next_operation_and_the_handle_reconnects(server: PostgresServer) -> None:
    async def scenario() -> None:
        store = await open_state(server.url())
        try:
            worker = await store.register_worker(os.getpid(), NOW)
            await settle_one(store, worker, 0.5)
            server.restart()
            with pytest.raises(StateUnavailable) as lost:
                await store.list_workers(NOW)  # the connection died with the old server
            assert lost.value.whole_file
            await until_it_works(store.check_store)
            await settle_one(store, worker, 0.25)  # the same handle, a new connection
            [entry] = await store.read_ledger(MONTH)
            assert (entry.spent_usd, entry.requests) == (0.75, 2)
        finally:
            await store.close()

    asyncio.run(scenario())


def test_a_stopped_server_is_reported_until_it_is_back(server: PostgresServer) -> None:
    asyncio.run(outage_and_recovery(server, server.stop))


def test_a_killed_server_loses_no_committed_settlement(server: PostgresServer) -> None:
    asyncio.run(outage_and_recovery(server, server.kill))
    [entry] = state_admin(server.url()).read_ledger(MONTH)
    assert entry.spent_usd == 0.75


def test_a_handle_opened_while_the_server_is_down_starts_and_connects_later(server: PostgresServer) -> None:
    async def scenario() -> None:
        server.stop()
        store = await open_state(server.url())  # a worker starting during the outage still starts
        try:
            with pytest.raises(StateUnavailable):
                await store.read_keys()
            server.start()
            assert await until_it_works(store.read_keys) == []
        finally:
            await store.close()

    asyncio.run(scenario())
