"""CPU-heavy steps of one request, run on a thread so the event loop keeps serving the others.

On a thread, Python code hands the GIL back to the event loop every few milliseconds; a single long
C call does not. For a large request the longest such call turned out to be the cyclic garbage
collector: with a large request's objects alive, each full collection walks all of them (456 ms
measured for 65,000 messages, 16 full collections while one was parsed and translated). While a
large step runs the automatic collector is paused; reference counting still frees everything that
is not a cycle, and collection resumes when the last large step ends.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Work is weighed in messages. Up to INLINE_UP_TO a step runs inline on the event loop (a thread
# hop would cost more than the step); past LARGE_CONVERSATION the collector is paused too.
INLINE_UP_TO: Final = 256
LARGE_CONVERSATION: Final = 2_000


class _CollectorPause:
    """Counts the large steps running; the collector is off while there is one (if it was on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps = 0
        self._resume = False

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._steps == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._steps += 1
        try:
            yield
        finally:
            with self._lock:
                self._steps -= 1
                if self._steps == 0 and self._resume:
                    gc.enable()


_PAUSE = _CollectorPause()


async def run_step(weight: int, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work(*args, **kwargs)`` for a request of ``weight`` messages: inline when light, else on
    a thread (with the cyclic collector paused past :data:`LARGE_CONVERSATION`)."""
    if weight <= INLINE_UP_TO:
        return work(*args, **kwargs)

    def step() -> T:
        if weight <= LARGE_CONVERSATION:
            return work(*args, **kwargs)
        with _PAUSE.held():
            return work(*args, **kwargs)

    return await asyncio.to_thread(step)
