"""The supervisor's one loop, for every way of serving: start, wait for signals or the end, stop.

Multi-worker mode serves through a gunicorn arbiter (:mod:`.arbiter`), single-process mode in this
process (:mod:`.single_process`); both behave alike — SIGTERM/SIGINT drain, a second SIGINT stops at
once, SIGHUP reloads a validated config — so the loop is written once and what differs is a
:class:`Serving` passed in.

Signal handlers only queue the signal; the loop acts on it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Mapping
from typing import Literal, Protocol

from uvicorn.loops.auto import auto_loop_factory

from coderouter_supervisor.state import state_file
from coderouter_supervisor.supervisor.lifecycle.admin_endpoint import AdminEndpoint
from coderouter_supervisor.supervisor.lifecycle.reload import reload_validated
from coderouter_supervisor.supervisor.lifecycle.supervision import (
    Supervision,
    publish_config,
    worker_handoff,
)
from coderouter_supervisor.supervisor.lifecycle.wal_keeper import WalKeeper
from coderouter_supervisor.worker.config import LoadedConfig
from coderouter_supervisor.worker.handoff import WorkerHandoff
from coderouter_supervisor.worker.telemetry import emit_event, write_policy


class Serving(Protocol):
    """What the loop drives: one way of running the gateway's workers."""

    # The field of ``supervisor-stopped`` that carries the code :meth:`finished` returned.
    exit_code_field: str

    async def start(self, job: Supervision, handoff: WorkerHandoff) -> str | None:
        """Start serving; None once serving, else why it could not (the run then fails)."""

    def started_fields(self) -> Mapping[str, object]:
        """How ``supervisor-started`` describes this way of serving."""

    async def finished(self) -> int:
        """Wait until serving has ended on its own or after :meth:`drain`; its exit code."""

    def reload(self, config: LoadedConfig) -> None:
        """Serve ``config`` (already validated and published) from now on."""

    def drain(self) -> None:
        """Stop taking connections; let requests and streams in flight finish, then end."""

    def stop_now(self) -> None:
        """End without waiting for streams still open."""


SignalAction = Literal["reload", "drain", "stop-now", "ignore"]


def signal_action(sig: signal.Signals, stopping: bool) -> SignalAction:
    """What the loop does on ``sig``: SIGHUP reloads, the first SIGTERM/SIGINT drains, a SIGINT while
    draining (a second Ctrl-C) stops at once, cutting open streams; a repeated SIGTERM changes nothing."""
    if sig == signal.SIGHUP:
        return "reload"
    if not stopping:
        return "drain"
    return "stop-now" if sig == signal.SIGINT else "ignore"


def watch_signals() -> asyncio.Queue[signal.Signals]:
    """Queue SIGTERM, SIGINT and SIGHUP for the running loop to act on."""
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[signal.Signals] = asyncio.Queue()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, received.put_nowait, sig)
    return received


async def supervise(job: Supervision, serving: Serving) -> int:
    """Serve until stopped; return the process exit code.

    0 after a requested stop, 1 when serving could not start or ended on its own (a worker could
    not boot, the port was taken, …) — the server has then already logged why.
    """
    received = watch_signals()
    publish_config(job.files, job.config)
    failure = await serving.start(job, worker_handoff(job))
    if failure is not None:
        emit_event("supervisor-stopped", "error", reason=failure)
        return 1
    # Only now, after any fork: the endpoint's and checkpointer's threads must never exist in a
    # forked child. The gateway's own connection never checkpoints: this one does, in every mode.
    state_db = state_file(job.settings.state_db)
    keeper = WalKeeper(state_db, write_policy(job.settings.write_profile)) if state_db is not None else None
    if keeper is not None:
        await keeper.start()
    admin = AdminEndpoint(job.settings.admin_port, job.settings.state_db, lambda: job.config)
    if job.settings.admin_port:
        await admin.start()
    try:
        return await _watch(job, serving, received)
    finally:
        await admin.stop()
        if keeper is not None:
            await keeper.stop()


async def _watch(job: Supervision, serving: Serving, received: asyncio.Queue[signal.Signals]) -> int:
    settings = job.settings
    emit_event(
        "supervisor-started",
        "info",
        bind=settings.bind,
        **serving.started_fields(),
        write_profile=settings.write_profile,
        config=job.config.digest,
        config_source=job.config.source,
        state=settings.state_shown,
    )
    ended = asyncio.ensure_future(serving.finished())
    stopping = False
    while True:
        next_signal = asyncio.ensure_future(received.get())
        done, _ = await asyncio.wait({ended, next_signal}, return_when=asyncio.FIRST_COMPLETED)
        if ended in done:
            next_signal.cancel()
            code = ended.result()
            emit_event(
                "supervisor-stopped", "info" if stopping else "error", **{serving.exit_code_field: code}
            )
            return 0 if stopping and code == 0 else 1
        sig = next_signal.result()
        action = signal_action(sig, stopping)
        if action == "reload":
            job.config = reload_validated(job, serving.reload)
        elif action == "drain":
            stopping = True
            emit_event("supervisor-draining", signal=sig.name, graceful_timeout_s=settings.graceful_timeout_s)
            serving.drain()
        elif action == "stop-now":
            emit_event("supervisor-quick-stop", "warning")
            serving.stop_now()


def run_supervisor(job: Supervision, serving: Serving) -> int:
    # The loop uvicorn's loop="auto" gives a gunicorn worker (uvloop when installed), so one worker
    # served in this process runs on the same stack as several under gunicorn.
    with asyncio.Runner(loop_factory=auto_loop_factory(use_subprocess=True)) as runner:
        return runner.run(supervise(job, serving))
