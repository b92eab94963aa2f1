"""Run a coroutine on a fresh asyncio loop and fail if it left anything behind."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_cleanly(main: Callable[[], Awaitable[T]]) -> T:
    """``main()`` on a fresh loop; fails if the loop saw an unhandled error (a future whose exception
    nobody retrieved, a callback that raised) or a timer is left armed."""
    problems: list[dict[str, Any]] = []

    async def wrapped() -> T:
        return await main()

    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        loop.set_exception_handler(lambda _loop, context: problems.append(context))
        result = runner.run(wrapped())
        gc.collect()
        runner.run(asyncio.sleep(0))
        # No public view of pending timers: a read or write that ended must not leave one armed.
        armed = [handle for handle in loop._scheduled if not handle.cancelled()]  # type: ignore[attr-defined]
    assert problems == []
    assert armed == []
    return result
