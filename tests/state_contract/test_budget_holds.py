"""Budget holds, settlement, reclaim and the ledger, through the backend seam alone."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from coderouter_supervisor.state import (
    DEAD_AFTER_S,
    LedgerEntry,
    ReclaimedHold,
    Settled,
    Settlement,
    StateBackend,
)

from support.state_stores import StoreUnderTest

NOW = 1_764_590_400.0  # 2025-12-01T12:00:00Z
MONTH = "2025-12"
HOLD_S = 600.0


async def reserve(
    store: StateBackend,
    amount: float,
    worker: int,
    *,
    cap: float = 10.0,
    now: float = NOW,
    month: str = MONTH,
) -> int | None:
    hold = await store.reserve_spend(
        provider="claude",
        month=month,
        amount_usd=amount,
        cap_usd=cap,
        worker_id=worker,
        now=now,
        hold_s=HOLD_S,
    )
    return hold.reservation_id


def reaped_pid() -> int:
    """The pid of a process that has exited and been reaped: a worker known to be gone."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    return int(child.stdout)


async def only_entry(store: StateBackend, month: str = MONTH) -> LedgerEntry:
    [entry] = await store.read_ledger(month)
    return entry


def test_holds_and_spend_never_pass_the_cap(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        first = await reserve(store, 4.0, worker)
        second = await reserve(store, 4.0, worker)
        assert first is not None and second is not None
        assert await reserve(store, 4.0, worker) is None  # 4 + 4 + 4 > 10
        settled = await store.settle_spend(first, "claude", MONTH, Settlement(1.5, 100, 20))
        assert settled == Settled(1.5, "held")
        assert await reserve(store, 4.0, worker) is not None  # 1.5 settled + 4 held + 4 = 9.5
        assert await only_entry(store) == LedgerEntry("claude", MONTH, 1.5, 8.0, 2, 100, 20, 1)

    backend.run(scenario)


def test_a_failed_attempt_releases_its_hold_without_spend(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        held = await reserve(store, 9.0, worker)
        assert held is not None
        assert await store.settle_spend(held, "claude", MONTH, None) == Settled(0.0, "held")
        assert await store.read_ledger(MONTH) == []
        assert await reserve(store, 9.0, worker) is not None

    backend.run(scenario)


def test_a_retried_settle_counts_once_whether_or_not_the_first_landed(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        landed = await reserve(store, 3.0, worker)
        lost = await reserve(store, 3.0, worker)
        assert landed is not None and lost is not None
        # The first settle of `landed` committed (its answer was lost); `lost`'s never reached the store.
        assert await store.settle_spend(landed, "claude", MONTH, Settlement(1.0)) == Settled(1.0, "held")
        retried = await store.settle_spend(landed, "claude", MONTH, Settlement(1.0), retry=True)
        assert retried == Settled(1.0, "gone")
        retried = await store.settle_spend(lost, "claude", MONTH, Settlement(2.0), retry=True)
        assert retried == Settled(3.0, "held")
        assert await only_entry(store) == LedgerEntry("claude", MONTH, 3.0, 0.0, 0, 0, 0, 2)

    backend.run(scenario)


def test_concurrent_holds_from_several_handles_never_pass_the_cap(backend: StoreUnderTest) -> None:
    async def one_worker(store: StateBackend, worker: int) -> int:
        granted = 0
        for _ in range(25):
            held = await reserve(store, 0.3, worker)
            if held is not None:
                await store.settle_spend(held, "claude", MONTH, Settlement(0.25))
                granted += 1
        return granted

    async def scenario() -> tuple[int, LedgerEntry]:
        stores = [await backend.open() for _ in range(4)]
        workers = [await s.register_worker(os.getpid(), NOW) for s in stores]
        counts = await asyncio.gather(*(one_worker(s, w) for s, w in zip(stores, workers, strict=True)))
        return sum(counts), await only_entry(stores[0])

    granted, entry = backend.run(scenario)
    assert entry.spent_usd <= 10.0
    assert entry.requests == granted
    # Alone, 39 fit (39 x 0.25 = 9.75 and 9.75 + 0.3 > 10); holds of the other handles may refuse a
    # few more near the cap, never admit one too many.
    assert 36 <= granted <= 39


# Each process: its own handle, 25 holds of 0.3 against a cap of 10, each settled at 0.25.
_HOLDING_PROCESS = """
import asyncio, json, os, sys
from coderouter_supervisor.state import Settlement, open_state

async def main(location: str) -> None:
    store = await open_state(location)
    try:
        worker = await store.register_worker(os.getpid(), {now})
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        granted = 0
        for _ in range(25):
            hold = await store.reserve_spend(
                provider="claude", month={month!r}, amount_usd=0.3, cap_usd=10.0,
                worker_id=worker, now={now}, hold_s=600.0,
            )
            if hold.reservation_id is not None:
                await store.settle_spend(hold.reservation_id, "claude", {month!r}, Settlement(0.25))
                granted += 1
        print(json.dumps(granted), flush=True)
    finally:
        await store.close()

asyncio.run(main(sys.argv[1]))
"""


def test_concurrent_holds_from_several_processes_never_pass_the_cap(backend: StoreUnderTest) -> None:
    script = _HOLDING_PROCESS.format(now=NOW, month=MONTH)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(backend.location)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        granted = 0
        for process in processes:
            out, _ = process.communicate(timeout=60)
            assert process.returncode == 0
            granted += json.loads(out)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    [entry] = backend.admin.read_ledger(MONTH)
    assert entry.spent_usd <= 10.0
    assert entry.requests == granted
    assert 36 <= granted <= 39


def test_a_gone_workers_hold_is_charged_at_its_amount_not_given_back(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        gone = await store.register_worker(reaped_pid(), NOW)
        alive = await store.register_worker(os.getpid(), NOW)
        assert await reserve(store, 6.0, gone) is not None
        later = NOW + DEAD_AFTER_S + 1  # the gone worker missed its beats; the other one beats on
        await store.record_heartbeat(alive, later, 0)
        hold = await store.reserve_spend(
            provider="claude",
            month=MONTH,
            amount_usd=3.0,
            cap_usd=10.0,
            worker_id=alive,
            now=later,
            hold_s=HOLD_S,
        )
        assert hold.reservation_id is not None  # 6 charged + 3 held fit under 10
        assert hold.reclaimed == (ReclaimedHold("claude", MONTH, 6.0, gone, "worker-gone"),)
        entry = await only_entry(store)
        assert (entry.spent_usd, entry.reserved_usd, entry.requests) == (6.0, 3.0, 1)
        assert await reserve(store, 1.5, alive, now=later) is None  # 6 + 3 + 1.5 > 10
        # Now known gone, for `status` too.
        assert [w.worker_id for w in backend.admin.list_workers(later)] == [alive]

    backend.run(scenario)


def test_a_worker_marked_exited_loses_its_holds_at_once(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        exited = await store.register_worker(os.getpid(), NOW)
        other = await store.register_worker(os.getpid(), NOW)
        assert await reserve(store, 6.0, exited) is not None
        await store.mark_worker_exited(exited, NOW + 1, 1)
        assert await reserve(store, 6.0, other, now=NOW + 1) is None  # the 6 is charged, not freed
        assert (await only_entry(store)).spent_usd == 6.0

    backend.run(scenario)


def test_a_paused_worker_keeps_its_holds_however_stale_its_heartbeat(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        paused = await store.register_worker(os.getpid(), NOW)  # its process exists: it may yet settle
        other = await store.register_worker(os.getpid(), NOW)
        assert await reserve(store, 9.0, paused) is not None
        much_later = NOW + 500  # far past three missed beats, still before the hold expires
        await store.record_heartbeat(other, much_later, 0)
        assert await reserve(store, 9.0, other, now=much_later) is None
        entry = await only_entry(store)
        assert (entry.spent_usd, entry.reserved_usd, entry.reservations) == (0.0, 9.0, 1)

    backend.run(scenario)


def test_an_expired_hold_is_charged_at_its_amount(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        assert await reserve(store, 4.0, worker) is not None
        later = NOW + HOLD_S + 1
        await store.record_heartbeat(worker, later, 0)
        hold = await store.reserve_spend(
            provider="claude",
            month=MONTH,
            amount_usd=4.0,
            cap_usd=10.0,
            worker_id=worker,
            now=later,
            hold_s=HOLD_S,
        )
        assert hold.reclaimed == (ReclaimedHold("claude", MONTH, 4.0, worker, "hold-expired"),)
        entry = await only_entry(store)
        assert (entry.spent_usd, entry.reserved_usd) == (4.0, 4.0)

    backend.run(scenario)


def test_a_late_settle_replaces_the_reclaimed_charge_instead_of_adding(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        held = await reserve(store, 4.0, worker)
        released = await reserve(store, 2.0, worker)
        assert held is not None and released is not None
        later = NOW + HOLD_S + 1  # both expired while the worker was busy
        assert await reserve(store, 1.0, worker, now=later) is not None
        assert (await only_entry(store)).spent_usd == 6.0

        assert await store.settle_spend(held, "claude", MONTH, Settlement(1.25, 10, 5)) == Settled(
            3.25, "reclaimed"
        )
        assert await store.settle_spend(released, "claude", MONTH, None) == Settled(1.25, "reclaimed")
        entry = await only_entry(store)
        assert (entry.spent_usd, entry.reserved_usd, entry.requests) == (1.25, 1.0, 1)
        assert (entry.input_tokens, entry.output_tokens) == (10, 5)
        # Settled once: a second settle of the same hold finds it gone and adds nothing more.
        assert await store.settle_spend(held, "claude", MONTH, None) == Settled(1.25, "gone")

    backend.run(scenario)


def test_an_overrun_is_recorded_past_the_cap_and_refuses_further_holds(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        held = await reserve(store, 2.0, worker)
        assert held is not None
        assert await reserve(store, 9.0, worker, now=NOW + HOLD_S + 1) is None  # expired, charged: 2 + 9 > 10
        backend.admin.reset_ledger("claude", MONTH)  # `budget reset` clears the reclaimed hold too
        await store.record_spend([("claude", MONTH, Settlement(9.5))])
        assert await store.settle_spend(held, "claude", MONTH, Settlement(1.25)) == Settled(10.75, "gone")
        assert (await only_entry(store)).spent_usd == 10.75
        assert await reserve(store, 0.01, worker, now=NOW + HOLD_S + 2) is None  # closed for the month

    backend.run(scenario)


def test_a_new_month_starts_a_fresh_ledger_and_keeps_the_old_one(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        await store.record_spend([("claude", "2025-11", Settlement(9.5, 10, 10))])
        assert await reserve(store, 1.0, worker, month="2025-11") is None  # November is spent
        assert await reserve(store, 9.0, worker) is not None  # December starts at zero
        assert [e.spent_usd for e in await store.read_ledger("2025-11")] == [9.5]
        assert [(e.spent_usd, e.reserved_usd) for e in await store.read_ledger(MONTH)] == [(0.0, 9.0)]

    backend.run(scenario)
    assert backend.admin.read_ledger("2026-01", ("claude",)) == [LedgerEntry("claude", "2026-01")]


def test_the_ledger_is_read_by_name_and_reset_one_provider_one_month(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        await store.record_spend(
            [
                ("claude", MONTH, Settlement(3.0, 40, 4)),
                ("claude", "2025-11", Settlement(7.0)),
                ("gpt", MONTH, Settlement(1.0)),
                ("key:alice", MONTH, Settlement(0.5)),
            ]
        )
        assert await reserve(store, 1.0, worker) is not None

    backend.run(scenario)
    admin = backend.admin
    assert admin.read_ledger(MONTH) == [
        LedgerEntry("claude", MONTH, 3.0, 1.0, 1, 40, 4, 1),
        LedgerEntry("gpt", MONTH, 1.0, 0.0, 0, 0, 0, 1),
        LedgerEntry("key:alice", MONTH, 0.5, 0.0, 0, 0, 0, 1),
    ]
    assert admin.read_ledger(MONTH, ("gpt", "local")) == [
        LedgerEntry("gpt", MONTH, 1.0, 0.0, 0, 0, 0, 1),
        LedgerEntry("local", MONTH),
    ]
    cleared = admin.reset_ledger("claude", MONTH)
    assert (cleared.spent_usd, cleared.reserved_usd) == (3.0, 1.0)
    assert [e.provider for e in admin.read_ledger(MONTH)] == ["gpt", "key:alice"]
    assert admin.read_ledger("2025-11")[0].spent_usd == 7.0
