"""The foreground supervisor: start the gunicorn arbiter, relay signals, reload safely.

With one worker there is no arbiter: :mod:`.single_process` serves the gateway in this process.

Signal handlers only queue the signal; the loop below acts on it. The arbiter runs in its
own session so a terminal's Ctrl-C reaches only us (and we drain gracefully), and it gets
SIGTERM if we die, so it is never orphaned.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from coderouter_supervisor.supervisor.admin_endpoint import AdminEndpoint
from coderouter_supervisor.supervisor.arbiter import (
    arbiter_command,
    arbiter_environment,
    gunicorn_config_path,
)
from coderouter_supervisor.supervisor.instance import InstanceFiles, write_atomically
from coderouter_supervisor.supervisor.reload_outcome import record_reload_outcome
from coderouter_supervisor.supervisor.settings import SupervisorSettings
from coderouter_supervisor.supervisor.wal_keeper import WalKeeper
from coderouter_supervisor.worker.config import ConfigError, LoadedConfig, SupervisorSection
from coderouter_supervisor.worker.handoff import WorkerHandoff
from coderouter_supervisor.worker.routing import CapabilityRegistry, load_registry
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.telemetry.write_policy import write_policy

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec function asking Linux to SIGTERM the child when we exit, if available."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    prctl = libc.prctl

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return preexec


@dataclass
class Supervision:
    settings: SupervisorSettings
    files: InstanceFiles
    config: LoadedConfig
    reload_config: Callable[[], LoadedConfig]
    env: Mapping[str, str]
    # The capability rules the workers run with, besides ``config``; None until known.
    capabilities: CapabilityRegistry | None = None


def worker_handoff(job: Supervision) -> WorkerHandoff:
    """What the gateway is told besides its config (see :mod:`...worker.handoff`)."""
    settings = job.settings
    return WorkerHandoff(
        job.files.config_snapshot, job.config.source, settings.state_db, settings.host, settings.write_profile
    )


def publish_config(files: InstanceFiles, config: LoadedConfig) -> None:
    """Write the validated text where workers load it from."""
    write_atomically(files.config_snapshot, config.text)


def watch_signals() -> asyncio.Queue[signal.Signals]:
    """Queue SIGTERM, SIGINT and SIGHUP for the running loop to act on."""
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[signal.Signals] = asyncio.Queue()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, received.put_nowait, sig)
    return received


async def supervise(job: Supervision) -> int:
    """Run until the arbiter exits; return the process exit code.

    0 after a requested stop, 1 when the arbiter ended on its own (a worker could not
    boot, the port was taken, …) — gunicorn has then already logged why.
    """
    received = watch_signals()
    publish_config(job.files, job.config)
    handoff = worker_handoff(job)
    arbiter = await asyncio.create_subprocess_exec(
        *arbiter_command(job.settings, gunicorn_config_path()),
        env=arbiter_environment(job.env, handoff),
        start_new_session=True,
        preexec_fn=_die_with_parent(),
    )
    # Only now, after the fork: the endpoint's and checkpointer's threads must never exist in a
    # forked child.
    keeper = WalKeeper(job.settings.state_db, write_policy(job.settings.write_profile))
    await keeper.start()
    admin = AdminEndpoint(job.settings.admin_port, job.settings.state_db, lambda: job.config)
    if job.settings.admin_port:
        await admin.start()
    try:
        return await _watch(job, arbiter, received)
    finally:
        await admin.stop()
        await keeper.stop()


async def _watch(
    job: Supervision, arbiter: asyncio.subprocess.Process, received: asyncio.Queue[signal.Signals]
) -> int:
    emit_event(
        "supervisor-started",
        bind=job.settings.bind,
        workers=job.settings.workers,
        arbiter_pid=arbiter.pid,
        write_profile=job.settings.write_profile,
        config=job.config.digest,
        config_source=job.config.source,
        state=str(job.settings.state_db),
    )
    arbiter_exit = asyncio.ensure_future(arbiter.wait())
    stopping = False
    while True:
        next_signal = asyncio.ensure_future(received.get())
        done, _ = await asyncio.wait({arbiter_exit, next_signal}, return_when=asyncio.FIRST_COMPLETED)
        if arbiter_exit in done:
            next_signal.cancel()
            code = arbiter_exit.result()
            emit_event("supervisor-stopped", "info" if stopping else "error", arbiter_exit_code=code)
            return 0 if stopping and code == 0 else 1
        sig = next_signal.result()
        if sig == signal.SIGHUP:
            job.config = reload_validated(job, lambda _: os.kill(arbiter.pid, signal.SIGHUP))
        elif not stopping:
            stopping = True
            emit_event(
                "supervisor-draining", signal=sig.name, graceful_timeout_s=job.settings.graceful_timeout_s
            )
            arbiter.send_signal(signal.SIGTERM)
        elif sig == signal.SIGINT:
            # A second Ctrl-C while draining: stop now, cutting open streams.
            emit_event("supervisor-quick-stop", "warning")
            arbiter.send_signal(signal.SIGINT)


def reload_validated(job: Supervision, apply: Callable[[LoadedConfig], None]) -> LoadedConfig:
    """Validate the config again; publish and ``apply`` it only if it loads. Returns the active one."""
    try:
        fresh = job.reload_config()
        capabilities = load_registry(Path.home())
    except ConfigError as exc:
        emit_event("reload-refused", "error", error=str(exc), keeping=job.config.digest)
        record_reload_outcome(job.files, "refused", job.config.digest, str(exc))
        return job.config
    if _runs_already(job, fresh, capabilities):
        # Rolling every worker for nothing would cut their streams at graceful_timeout.
        emit_event("reload-unchanged", config=fresh.digest)
        record_reload_outcome(job.files, "unchanged", fresh.digest)
        return job.config
    # Per-provider tuning and the body limit are read by the workers, so a reload applies them;
    # the rest needs a restart.
    if _process_settings(fresh) != _process_settings(job.config):
        emit_event(
            "reload-supervisor-section-ignored", "warning", hint="restart to apply supervisor: changes"
        )
    try:
        publish_config(job.files, fresh)
    except OSError as exc:  # the state directory is full or read-only: workers keep the old snapshot
        error = f"cannot write {job.files.config_snapshot}: {exc.strerror or exc}"
        emit_event("reload-refused", "error", error=error, keeping=job.config.digest)
        record_reload_outcome(job.files, "refused", job.config.digest, error)
        return job.config
    apply(fresh)
    job.capabilities = capabilities
    emit_event("reload-accepted", config=fresh.digest, previous=job.config.digest)
    record_reload_outcome(job.files, "accepted", fresh.digest)
    return fresh


def _runs_already(job: Supervision, fresh: LoadedConfig, capabilities: CapabilityRegistry) -> bool:
    """Whether the workers already run ``fresh`` (same text from the same file) and ``capabilities``."""
    return (
        job.capabilities is not None
        and capabilities.rules == job.capabilities.rules
        and (fresh.digest, fresh.source) == (job.config.digest, job.config.source)
    )


def _process_settings(loaded: LoadedConfig) -> SupervisorSection:
    # The request and upstream answer limits are read by the workers too.
    return loaded.config.supervisor.model_copy(
        update={"providers": {}, "max_body_mib": None, "max_upstream_answer_mib": None}
    )


def run_supervisor(job: Supervision) -> int:
    return asyncio.run(supervise(job))
