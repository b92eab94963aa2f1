"""A state store under test, of any backend kind, and the handles a test opens on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from coderouter_supervisor.state import StateAdmin, StateBackend, StateLocation, open_state

T = TypeVar("T")


@dataclass
class StoreUnderTest:
    """A store at ``location`` and the handles opened on it, all closed at teardown."""

    kind: str
    location: StateLocation
    admin: StateAdmin
    _handles: list[StateBackend] = field(default_factory=list)

    async def open(self) -> StateBackend:
        """A new handle on the store: its own connection, as each worker process has."""
        handle = await open_state(self.location)
        self._handles.append(handle)
        return handle

    def run(self, scenario: Callable[[], Awaitable[T]]) -> T:
        """Run ``scenario`` on an event loop, closing every handle it opened before the loop ends."""

        async def scenario_then_close() -> T:
            try:
                return await scenario()
            finally:
                for handle in self._handles:
                    await handle.close()
                self._handles.clear()

        return asyncio.run(scenario_then_close())
