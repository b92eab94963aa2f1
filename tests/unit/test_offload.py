from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from typing import ClassVar

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from coderouter_supervisor.worker.offload import LARGE_CONVERSATION, FreeOffLoop, free_in_steps, run_step

LARGE = LARGE_CONVERSATION + 1


def _collector_on() -> bool:
    return gc.isenabled()


def test_a_large_step_runs_with_the_collector_paused_and_resumes_it() -> None:
    assert gc.isenabled()
    assert asyncio.run(run_step(LARGE, _collector_on)) is False
    assert gc.isenabled()
    assert asyncio.run(run_step(1, _collector_on)) is True
    assert asyncio.run(run_step(LARGE_CONVERSATION, _collector_on)) is True


def test_a_light_step_runs_inline_and_a_heavier_one_on_a_thread() -> None:
    assert asyncio.run(run_step(1, threading.current_thread)) is threading.main_thread()
    assert asyncio.run(run_step(LARGE, threading.current_thread)) is not threading.main_thread()


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
        running = asyncio.ensure_future(run_step(LARGE, first))
        await run_step(LARGE, second)
        assert not gc.isenabled()  # the first step still runs
        release_first.set()
        await running

    asyncio.run(both())
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_collector_switched_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        asyncio.run(run_step(LARGE, _collector_on))
        assert not gc.isenabled()
    finally:
        gc.enable()


async def _as_request(handler: ASGIApp) -> None:
    """``handler`` served as one HTTP request in a :class:`FreeOffLoop` scope, as the front door does."""

    async def nothing() -> dict[str, object]:
        return {}

    async def ignore(message: object) -> None:
        return None

    with FreeOffLoop():
        await handler({"type": "http"}, nothing, ignore)


class _Large:
    """Records the thread that frees it."""

    freed_on: ClassVar[list[threading.Thread]] = []

    def __del__(self) -> None:
        _Large.freed_on.append(threading.current_thread())


def test_what_a_large_step_returned_is_freed_on_a_thread_once_the_request_ends() -> None:
    _Large.freed_on.clear()

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        large = await run_step(LARGE, _Large)
        small = await run_step(1, _Large)
        del large, small  # the small one is freed here, on the loop; the large one is kept

    async def serve() -> None:
        await _as_request(handler)
        assert _Large.freed_on == [threading.main_thread()]
        for _ in range(100):  # the release is not awaited by the request
            if len(_Large.freed_on) == 2:
                break
            await asyncio.sleep(0.01)

    asyncio.run(serve())
    assert len(_Large.freed_on) == 2
    assert _Large.freed_on[1] is not threading.main_thread()


def test_outside_a_request_a_large_step_result_is_not_kept() -> None:
    _Large.freed_on.clear()

    async def step() -> None:
        await run_step(LARGE, _Large)  # result dropped at once, on the loop

    asyncio.run(step())
    assert _Large.freed_on == [threading.main_thread()]


def test_the_collector_stays_paused_between_a_requests_large_steps_and_resumes_once_it_ends() -> None:
    seen: list[bool] = []

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await run_step(LARGE, list)
        seen.append(gc.isenabled())  # between steps, on the loop: a full collection would walk it all
        await run_step(LARGE_CONVERSATION, list)
        seen.append(gc.isenabled())

    async def serve() -> None:
        await _as_request(handler)
        for _ in range(100):  # the release is not awaited by the request
            if gc.isenabled():
                break
            await asyncio.sleep(0.01)

    assert gc.isenabled()
    asyncio.run(serve())
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_request_without_a_large_step_leaves_the_collector_alone() -> None:
    seen: list[bool] = []

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await run_step(LARGE_CONVERSATION, list)
        seen.append(gc.isenabled())

    asyncio.run(_as_request(handler))
    assert seen == [True]


def test_the_collector_does_not_resume_for_a_moment_when_a_requests_large_step_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resumed: list[str] = []
    resume = gc.enable
    monkeypatch.setattr(gc, "enable", lambda: (resumed.append("resumed"), resume())[1])

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await run_step(LARGE, list)
        seen.append(len(resumed))  # any allocation meanwhile could start a full collection

    async def serve() -> None:
        await _as_request(handler)
        for _ in range(100):  # the release is not awaited by the request
            if resumed:
                break
            await asyncio.sleep(0.01)

    seen: list[int] = []
    asyncio.run(serve())
    assert seen == [0]
    assert resumed == ["resumed"]


class _Node:
    pass


def test_freeing_in_steps_frees_a_whole_conversation() -> None:
    messages = [_Node() for _ in range(1_000)]
    for message in messages:
        message.content = [{"type": "text", "text": "hi", "extra": _Node()}]  # type: ignore[attr-defined]
    alive = [weakref.ref(message) for message in messages]
    alive += [weakref.ref(message.content[0]["extra"]) for message in messages]  # type: ignore[attr-defined]
    values: list[object] = [({"messages": messages}, "text", 1)]
    del messages, message
    free_in_steps(values)
    assert values == []
    assert all(ref() is None for ref in alive)


def test_freeing_in_steps_leaves_what_someone_else_holds_as_it_was() -> None:
    shared = [1, [2, 3], {"k": [4]}]
    node = _Node()
    node.items = shared  # type: ignore[attr-defined]
    free_in_steps([{"a": shared}, [shared, node]])
    assert shared == [1, [2, 3], {"k": [4]}]
    assert node.items is shared  # type: ignore[attr-defined]
