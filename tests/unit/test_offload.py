from __future__ import annotations

import asyncio
import gc
import threading

from coderouter_supervisor.worker.offload import off_loop


def _collector_on() -> bool:
    return gc.isenabled()


def test_a_large_step_runs_with_the_collector_paused_and_resumes_it() -> None:
    assert gc.isenabled()
    assert asyncio.run(off_loop(True, _collector_on)) is False
    assert gc.isenabled()
    assert asyncio.run(off_loop(False, _collector_on)) is True


def test_the_collector_stays_paused_until_the_last_overlapping_large_step_ends() -> None:
    first_inside = threading.Event()
    release_first = threading.Event()
    seen: list[bool] = []

    def first() -> None:
        first_inside.set()
        release_first.wait(10)
        seen.append(gc.isenabled())

    def second() -> None:
        first_inside.wait(10)
        seen.append(gc.isenabled())

    async def both() -> None:
        running = asyncio.ensure_future(off_loop(True, first))
        await off_loop(True, second)
        assert not gc.isenabled()  # the first step still runs
        release_first.set()
        await running

    asyncio.run(both())
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        asyncio.run(off_loop(True, _collector_on))
        assert not gc.isenabled()
    finally:
        gc.enable()
