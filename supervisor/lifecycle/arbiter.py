"""Serving through gunicorn: the arbiter's command line and environment, and the child it runs as.

The arbiter runs in its own session so a terminal's Ctrl-C reaches only the supervisor (which then
drains gracefully), and it gets SIGTERM if the supervisor dies, so it is never orphaned.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable, Mapping
from importlib.resources import as_file, files
from pathlib import Path

from coderouter_supervisor.supervisor.lifecycle.settings import SupervisorSettings
from coderouter_supervisor.supervisor.lifecycle.supervision import Supervision
from coderouter_supervisor.worker.config import LoadedConfig
from coderouter_supervisor.worker.handoff import WorkerHandoff

APP_FACTORY = "coderouter_supervisor.worker.app:create_app()"
_PR_SET_PDEATHSIG = 1


def gunicorn_config_path() -> Path:
    """The shipped ``etc/gunicorn.conf.py`` (a real file in every supported install)."""
    with as_file(files("coderouter_supervisor.etc").joinpath("gunicorn.conf.py")) as path:
        return Path(path)


def arbiter_command(settings: SupervisorSettings, config_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(config_path),
        "--bind",
        settings.bind,
        "--workers",
        str(settings.workers),
        "--graceful-timeout",
        str(int(settings.graceful_timeout_s)),
        APP_FACTORY,
    ]


def arbiter_environment(base: Mapping[str, str], handoff: WorkerHandoff) -> dict[str, str]:
    env = dict(base)
    env.update(handoff.to_env())
    # gunicorn reads extra options from this variable; ours must not be changed behind our back.
    env.pop("GUNICORN_CMD_ARGS", None)
    return env


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


class ArbiterServing:
    """Workers under a gunicorn arbiter, a child process that spawns, reaps and replaces them."""

    exit_code_field = "arbiter_exit_code"

    def __init__(self) -> None:
        self._arbiter: asyncio.subprocess.Process | None = None
        self._workers = 0

    async def start(self, job: Supervision, handoff: WorkerHandoff) -> str | None:
        self._workers = job.settings.workers
        self._arbiter = await asyncio.create_subprocess_exec(
            *arbiter_command(job.settings, gunicorn_config_path()),
            env=arbiter_environment(job.env, handoff),
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
        return None

    def _started(self) -> asyncio.subprocess.Process:
        if self._arbiter is None:
            raise RuntimeError("the arbiter has not been started")
        return self._arbiter

    def started_fields(self) -> Mapping[str, object]:
        return {"workers": self._workers, "arbiter_pid": self._started().pid}

    async def finished(self) -> int:
        return await self._started().wait()

    def reload(self, config: LoadedConfig) -> None:
        # gunicorn's graceful reload: new workers load the published config, old ones drain.
        os.kill(self._started().pid, signal.SIGHUP)

    def drain(self) -> None:
        self._started().send_signal(signal.SIGTERM)

    def stop_now(self) -> None:
        self._started().send_signal(signal.SIGINT)
