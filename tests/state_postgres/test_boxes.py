"""Workers of several boxes on one store: a pid is looked at only on its own box, and another box's
silent worker is gone by its stale heartbeat alone. The "other box" is this one with its heartbeat
rows relabelled, which is all a box is to the store."""

from __future__ import annotations

import asyncio
import os

import psycopg

from coderouter_supervisor.state import DEAD_AFTER_S, ReclaimedHold, open_state, state_admin
from coderouter_supervisor.state.hold_reclaim import this_box

NOW = 1_764_590_400.0
MONTH = "2025-12"


def move_to_another_box(database: str, worker_id: int) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE worker_heartbeat SET box = 'elsewhere/0' WHERE id = %s", (worker_id,))


def test_a_silent_worker_of_another_box_loses_its_holds_though_its_pid_exists_here(database: str) -> None:
    admin = state_admin(database)
    admin.migrate()

    async def scenario() -> tuple[ReclaimedHold, ...]:
        store = await open_state(database)
        try:
            remote = await store.register_worker(os.getpid(), NOW)  # same pid as a live process here
            local = await store.register_worker(os.getpid(), NOW)
            move_to_another_box(database, remote)
            hold = await store.reserve_spend(
                provider="claude",
                month=MONTH,
                amount_usd=6.0,
                cap_usd=10.0,
                worker_id=remote,
                now=NOW,
                hold_s=600,
            )
            assert hold.reservation_id is not None
            later = NOW + DEAD_AFTER_S + 1
            await store.record_heartbeat(local, later, 0)
            mine = await store.reserve_spend(
                provider="claude",
                month=MONTH,
                amount_usd=3.0,
                cap_usd=10.0,
                worker_id=local,
                now=later,
                hold_s=600,
            )
            assert mine.reservation_id is not None
            return mine.reclaimed
        finally:
            await store.close()

    reclaimed = asyncio.run(scenario())
    assert [(h.amount_usd, h.reason) for h in reclaimed] == [(6.0, "worker-gone")]
    [entry] = admin.read_ledger(MONTH)
    assert (entry.spent_usd, entry.reserved_usd) == (6.0, 3.0)


def test_the_arbiter_marks_only_its_own_boxs_workers(database: str) -> None:
    admin = state_admin(database)
    admin.migrate()

    async def register() -> list[int]:
        store = await open_state(database)
        try:
            return [await store.register_worker(pid, NOW) for pid in (401, 401, 402)]
        finally:
            await store.close()

    remote, here, remote_gone = asyncio.run(register())
    move_to_another_box(database, remote)
    move_to_another_box(database, remote_gone)
    admin.mark_pid_exited(401, NOW + 1)  # this box's 401 was reaped; the other box's 401 runs on
    gone = admin.mark_gone_workers(NOW + 1, exists=lambda pid: False)  # no process exists here
    assert gone == []  # the other box's workers are not this box's to judge by pid
    every = admin.list_workers(NOW + 1, include_exited=True)
    assert [(w.worker_id, w.exited_at) for w in every] == [
        (remote, None),
        (here, NOW + 1),
        (remote_gone, None),
    ]
    assert this_box() != "elsewhere/0"


def test_a_heartbeat_counts_the_live_workers_of_its_own_box(database: str) -> None:
    state_admin(database).migrate()

    async def scenario() -> tuple[int, int]:
        store = await open_state(database)
        try:
            first = await store.register_worker(os.getpid(), NOW)
            second = await store.register_worker(os.getpid(), NOW)
            remote = await store.register_worker(os.getpid(), NOW)
            move_to_another_box(database, remote)
            await store.record_heartbeat(remote, NOW + 1, 0)
            await store.record_heartbeat(second, NOW + 1, 0)
            return await store.record_heartbeat(first, NOW + 1, 0), await store.record_heartbeat(
                remote, NOW + 2, 0
            )
        finally:
            await store.close()

    # /healthz's workers_alive: this box's two, the other box's one, though all beat into one store.
    assert asyncio.run(scenario()) == (2, 1)
