"""Run a coroutine on a fresh asyncio loop and fail if it left anything behind."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None


def run_cleanly(main: Callable[[], Awaitable[T]], loop_factory: LoopFactory = None) -> T:
    """``main()`` on a fresh loop (asyncio's, or ``loop_factory``'s); fails if the loop saw an
    unhandled error (a future whose exception nobody retrieved, a callback that raised) or, on
    asyncio's loop, a timer is left armed."""
    problems: list[dict[str, Any]] = []

    async def wrapped() -> T:
        return await main()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        loop = runner.get_loop()
        loop.set_exception_handler(lambda _loop, context: problems.append(context))
        result = runner.run(wrapped())
        gc.collect()
        runner.run(asyncio.sleep(0))
        # No public view of pending timers (uvloop has none at all): a read or write that ended must
        # not leave one armed.
        scheduled = getattr(loop, "_scheduled", [])
        armed = [handle for handle in scheduled if not handle.cancelled()]
    assert problems == []
    assert armed == []
    return result


def loop_factories() -> list[Any]:
    """asyncio's loop, and uvloop's (the worker's when the ``fast`` extra is installed) when it is
    importable: CI runs the suite on the default stack, then these tests again with the extra."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return [pytest.param(None, id="asyncio")]
    return [pytest.param(None, id="asyncio"), pytest.param(uvloop.new_event_loop, id="uvloop")]
