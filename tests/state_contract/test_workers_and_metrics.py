"""Worker heartbeats, metric series and recent events, through the backend seam alone."""

from __future__ import annotations

import os

from coderouter_supervisor.state import RecentEvent, WorkerHeartbeat

from support.state_stores import StoreUnderTest


def test_heartbeats_register_beat_and_exit(backend: StoreUnderTest) -> None:
    async def scenario() -> tuple[int, int, list[WorkerHeartbeat]]:
        store = await backend.open()
        first = await store.register_worker(101, 1000.0)
        second = await store.register_worker(102, 1000.5)
        alive_before = await store.record_heartbeat(first, 1001.0, 7)
        await store.mark_worker_exited(second, 1001.5, 3)
        alive_after = await store.record_heartbeat(first, 1002.0, 9)
        return alive_before, alive_after, await store.list_workers(1002.0)

    alive_before, alive_after, live = backend.run(scenario)
    assert (alive_before, alive_after) == (2, 1)
    assert [(w.pid, w.requests) for w in live] == [(101, 9)]
    assert backend.admin.list_workers(1002.0) == live
    every = backend.admin.list_workers(1002.0, include_exited=True)
    assert [(w.pid, w.requests, w.exited_at) for w in every] == [(101, 9, None), (102, 3, 1001.5)]


def test_a_silent_worker_counts_as_dead_after_three_missed_beats(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        await store.register_worker(201, 100.0)
        await store.register_worker(202, 100.0)
        await store.register_worker(203, 100.0, beat_interval_s=10.0)  # a low-write worker

    backend.run(scenario)
    admin = backend.admin
    assert {w.pid for w in admin.list_workers(105.0)} == {201, 202, 203}
    assert [w.pid for w in admin.list_workers(107.0)] == [203]  # three missed beats of 2 s
    assert admin.list_workers(131.0) == []  # and three of 10 s
    admin.mark_pid_exited(201, 105.0)
    assert [w.pid for w in admin.list_workers(105.0)] == [202, 203]
    assert [w.exited_at for w in admin.list_workers(105.0, include_exited=True)] == [105.0, None, None]


def test_workers_of_a_previous_run_whose_process_is_gone_are_marked_exited(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        for pid in (301, 302, 303):
            await store.register_worker(pid, 100.0)
        [first, *_] = await store.list_workers(100.0)
        await store.mark_worker_exited(first.worker_id, 150.0, 0)  # pid 301 exited cleanly

    backend.run(scenario)
    gone = backend.admin.mark_gone_workers(200.0, exists=lambda pid: pid == 303)
    assert [w.pid for w in gone] == [302]
    every = backend.admin.list_workers(200.0, include_exited=True)
    assert [(w.pid, w.exited_at) for w in every] == [(301, 150.0), (302, 200.0), (303, None)]


REQUESTS = ("coderouter_requests_total", (("provider", "local"),))
COST = ("coderouter_cost_usd_total", (("provider", "cloud"), ("kind", "output")))


def test_metric_totals_sum_every_worker_and_survive_its_exit(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        other = await backend.open()
        one = await store.register_worker(os.getpid(), 100.0)
        two = await other.register_worker(os.getpid(), 100.0)
        await store.write_metric_series(one, {REQUESTS: 3.0, COST: 0.25})
        await other.write_metric_series(two, {REQUESTS: 4.0})
        assert await store.metric_totals() == {REQUESTS: 7.0, COST: 0.25}
        # A worker writes its cumulative values: a later flush replaces its own, not the others'.
        await store.write_metric_series(one, {REQUESTS: 5.0})
        await store.mark_worker_exited(one, 101.0, 5)
        assert await other.metric_totals() == {REQUESTS: 9.0, COST: 0.25}

    backend.run(scenario)


def test_recent_events_come_newest_first_from_every_worker(backend: StoreUnderTest) -> None:
    events = [RecentEvent(100.0 + i, 10 + i % 2, f"event-{i}", {"n": i, "what": "x"}) for i in range(5)]

    async def scenario() -> tuple[list[RecentEvent], list[RecentEvent]]:
        store = await backend.open()
        other = await backend.open()
        await store.append_recent_events(events[:3])
        await other.append_recent_events(events[3:])
        return await store.recent_events(), await store.recent_events(limit=2)

    every, newest = backend.run(scenario)
    assert every == events[::-1]
    assert newest == [events[4], events[3]]
