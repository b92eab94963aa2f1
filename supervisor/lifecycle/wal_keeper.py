"""The instance's one WAL checkpointer, run by the supervisor process (state/WAL.md says why).

Every other connection has ``wal_autocheckpoint = 0``, so without this loop the WAL would grow
for ever. It looks at the WAL file's size once a second (a ``stat``, no write) and checkpoints with
``TRUNCATE`` when the write policy's interval has passed and the WAL holds frames, or at once when
the WAL passes :data:`MAX_WAL_BYTES`. A WAL that is already empty is never checkpointed: even an
idle ``TRUNCATE`` rewrites the ``-shm`` header, and an SD card should see no write when nothing
happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from coderouter_supervisor.state import SqliteStateStore, StateError, wal_bytes
from coderouter_supervisor.worker.telemetry import WritePolicy, emit_event

# SQLite's own autocheckpoint threshold (1000 pages of 4 KiB): past it we checkpoint at once.
MAX_WAL_BYTES = 4 * 1024 * 1024
POLL_S = 1.0


def checkpoint_due(wal_size: int, since_last_s: float, *, incomplete: bool, policy: WritePolicy) -> bool:
    """Whether to checkpoint now; ``incomplete``: the last checkpoint could not finish (busy)."""
    if wal_size == 0:
        return False
    if wal_size >= MAX_WAL_BYTES:
        return True
    wait = policy.checkpoint_retry_s if incomplete else policy.checkpoint_interval_s
    return since_last_s >= wait


def describe_protection(policy: WritePolicy) -> str:
    """One line for `doctor` and the start event: who checkpoints, and how often."""
    return (
        "workers never checkpoint (wal_autocheckpoint=0); the supervisor alone runs "
        f"wal_checkpoint(TRUNCATE), holding the writer lock, every {policy.checkpoint_interval_s:g}s "
        f"while the WAL has frames (at once past {MAX_WAL_BYTES // (1024 * 1024)} MiB)"
    )


class WalKeeper:
    """Start with :meth:`start` after the arbiter is spawned (its thread must not be forked); stop
    with :meth:`stop`, which is idempotent."""

    def __init__(
        self,
        state_db: Path,
        policy: WritePolicy,
        clock: Callable[[], float] = time.monotonic,
        poll_s: float = POLL_S,
    ) -> None:
        self._state_db = state_db
        self._policy = policy
        self._clock = clock
        self._poll_s = poll_s
        self._store: SqliteStateStore | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            self._store = await SqliteStateStore.open(self._state_db)
        except StateError as exc:
            emit_event("wal-checkpointer-unavailable", "error", error=str(exc))
            return
        self._task = asyncio.create_task(self._keep_bounded(self._store), name="wal-checkpointer")

    async def _keep_bounded(self, store: SqliteStateStore) -> None:
        last = self._clock()
        incomplete = False
        while True:
            await asyncio.sleep(self._poll_s)
            size = wal_bytes(self._state_db)
            if not checkpoint_due(size, self._clock() - last, incomplete=incomplete, policy=self._policy):
                continue
            try:
                outcome = await store.checkpoint_wal()
            except StateError as exc:
                emit_event("wal-checkpoint-failed", "warning", error=str(exc))
                outcome = None
            last = self._clock()
            if outcome is not None and not outcome.complete and not incomplete:
                # Readers held old snapshots past the busy timeout: the frames stay in the WAL,
                # and the next try comes after checkpoint_retry_s.
                emit_event(
                    "wal-checkpoint-incomplete",
                    "warning",
                    wal_bytes=size,
                    wal_frames=outcome.wal_frames,
                    checkpointed_frames=outcome.checkpointed_frames,
                )
            incomplete = outcome is None or not outcome.complete

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        store, self._store = self._store, None
        if store is not None:
            await store.close()
