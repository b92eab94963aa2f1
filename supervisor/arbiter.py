"""How the supervisor starts gunicorn: the command line and the environment of the arbiter."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib.resources import as_file, files
from pathlib import Path

from coderouter_supervisor.supervisor.settings import SupervisorSettings
from coderouter_supervisor.worker.handoff import WorkerHandoff

APP_FACTORY = "coderouter_supervisor.worker.app:create_app()"


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
