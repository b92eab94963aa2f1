"""CPU-heavy steps of one request, run on a thread so the event loop keeps serving the others.

On a thread, Python code hands the GIL back to the event loop every few milliseconds; a single long
C call does not. For a large request the longest such call turned out to be the cyclic garbage
collector: with a large request's objects alive, each full collection walks all of them (456 ms
measured for 65,000 messages, 16 full collections while one was parsed and translated). While a
large step runs the automatic collector is paused, and it stays paused until the request that ran
the step has ended and its results are freed: between two steps (while the upstream answers) a full
collection started by any small allocation on the event loop would walk them all again. Reference
counting still frees everything that is not a cycle; collection resumes when the last such request
ends.

Freeing is work too: dropping the last reference to a large request's objects frees each of them
in turn, which for the largest body held the event loop for ~70 ms. What a large step returns is
therefore kept by the request (:class:`FreeOffLoop`) and released on a thread once it has ended.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Final, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# Work is weighed in messages. Up to INLINE_UP_TO a step runs inline on the event loop (a thread
# hop would cost more than the step); past LARGE_CONVERSATION the collector is paused too.
INLINE_UP_TO: Final = 256
LARGE_CONVERSATION: Final = 2_000


class _CollectorPause:
    """Counts its holders (large steps, requests that ran one); the collector is off while there is
    one (if it was on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._resume = False

    def hold(self) -> None:
        with self._lock:
            if self._holders == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._holders += 1

    def release(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0 and self._resume:
                gc.enable()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.hold()
        try:
            yield
        finally:
            self.release()


_PAUSE = _CollectorPause()


async def run_step(weight: int, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``work(*args, **kwargs)`` for a request of ``weight`` messages: inline when light, else on
    a thread (with the cyclic collector paused past :data:`LARGE_CONVERSATION`)."""
    if weight <= INLINE_UP_TO:
        return work(*args, **kwargs)

    def step() -> T:
        request = _request_keep.get()
        if weight <= LARGE_CONVERSATION:
            result = work(*args, **kwargs)
        else:
            with _PAUSE.held():
                # Before the step's own pause ends: in between, any allocation could start a full
                # collection over everything the step made (45 ms measured).
                if request is not None:
                    request.pause_collector()
                result = work(*args, **kwargs)
        if request is not None:
            request.results.append(result)
        return result

    return await asyncio.to_thread(step)


class _RequestKeep:
    """What the large steps of one request returned, and whether the request holds the collector's
    pause; both let go of together, on a thread, once the request has ended."""

    def __init__(self) -> None:
        self.results: list[object] = []
        self._pausing = False

    def pause_collector(self) -> None:
        if not self._pausing:  # a request's steps run one after another: no race here
            self._pausing = True
            _PAUSE.hold()

    @property
    def holds_anything(self) -> bool:
        return bool(self.results) or self._pausing

    def let_go(self) -> None:
        free_in_steps(self.results)
        if self._pausing:
            self._pausing = False
            _PAUSE.release()


def free_in_steps(values: list[object]) -> None:
    """Drop ``values`` (emptying the list) one container at a time. Dropping the last reference to a
    large request's conversation frees it all in one C call (10,000 messages: ~70 ms holding the
    GIL). Here each container's children are taken over before it is dropped, so that dropping it
    frees nothing but itself; a container someone else still holds is only let go of."""
    stack = values[:]
    values.clear()
    while stack:
        item = stack.pop()
        # Two references: ``item`` and getrefcount's argument; more and it outlives us anyway.
        if sys.getrefcount(item) == 2:
            if isinstance(item, list | tuple):
                stack.extend(child for child in item if not isinstance(child, _LEAVES))
            elif isinstance(item, dict):
                stack.extend(child for child in item.values() if not isinstance(child, _LEAVES))
            elif hasattr(item, "__dict__") and not isinstance(item, type):
                stack.extend(child for child in vars(item).values() if not isinstance(child, _LEAVES))
        del item


# Freed at once in any case: nothing hangs from them.
_LEAVES = (str, bytes, int, float, bool, type(None))


# The current request's keep; None outside a request.
_request_keep: ContextVar[_RequestKeep | None] = ContextVar("request_keep", default=None)


class FreeOffLoop:
    """The scope of one request (``with FreeOffLoop(): serve it``): once it has ended, the results of
    its large steps are dropped on a thread, so that freeing them does not hold the event loop, and its
    pause of the collector ends."""

    def __init__(self) -> None:
        self._keep = _RequestKeep()
        self._token: Token[_RequestKeep | None] | None = None

    def __enter__(self) -> None:
        self._token = _request_keep.set(self._keep)

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _request_keep.reset(self._token)
        if self._keep.holds_anything:
            # Not awaited: a cancelled request must not wait for it, and nothing depends on it.
            asyncio.get_running_loop().run_in_executor(None, self._keep.let_go)
