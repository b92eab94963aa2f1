"""What every `coderouter-supervisor` command shares: exit codes, options, finding the instance.

Only the CLI decides exit codes: library code raises, and these helpers turn that into a message
and an exit status.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from coderouter_supervisor.state import StateLocation, default_state_path, state_file
from coderouter_supervisor.supervisor.lifecycle import (
    InstanceFiles,
    SettingError,
    SupervisorFlags,
    SupervisorSettings,
    registered_instance,
    resolve_settings,
    running_supervisor_pid,
    sole_running_sibling,
)
from coderouter_supervisor.worker.config import (
    CodeRouterConfig,
    ConfigError,
    LoadedConfig,
    SupervisorSection,
    find_config_file,
    load_config,
    parse_config,
)
from coderouter_supervisor.worker.routing import load_registry

EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_NOT_RUNNING = 3


def fail(message: str, code: int) -> None:
    click.echo(f"coderouter-supervisor: {message}", err=True)
    sys.exit(code)


def warn(message: str) -> None:
    click.echo(f"coderouter-supervisor: warning: {message}", err=True)


def validated(path: Path | None, env: dict[str, str]) -> LoadedConfig:
    """The config at ``path`` and the user's capability rules, both checked before any worker sees them."""
    loaded = load_config(path, env)
    load_registry(Path.home())
    return loaded


def load(config: str | None) -> tuple[Path | None, LoadedConfig]:
    env = dict(os.environ)
    path = find_config_file(config, env, Path.cwd(), Path.home())
    return path, validated(path, env)


def settings_for(flags: SupervisorFlags, section: SupervisorSection) -> SupervisorSettings:
    try:
        return resolve_settings(flags, section, os.environ, Path.home())
    except SettingError as exc:
        fail(str(exc), EXIT_INVALID)
        raise AssertionError("unreachable") from exc


def instance_registry() -> Path:
    """Where `start` registers which state file each config's instance uses (see :mod:`.instance`)."""
    return default_state_path(os.environ, Path.home()).parent / "instances"


def instance_files(config: str | None, state: str | None) -> InstanceFiles:
    """Find an instance's files: ``--state``, else the running instance registered for the config,
    else the way `start` would. A config that no longer loads is reported as a warning."""
    env = dict(os.environ)
    path = Path(config).expanduser() if config else None
    section = SupervisorSection()
    try:
        path = find_config_file(config, env, Path.cwd(), Path.home())
        section = validated(path, env).config.supervisor
    except ConfigError as exc:
        warn(str(exc))
    if state is None and path is not None:
        registered = registered_instance(instance_registry(), path)
        if registered is not None:
            return registered
    files = InstanceFiles.of(settings_for(SupervisorFlags(state=state), section))
    if running_supervisor_pid(files) is None:
        return sole_running_sibling(files) or files
    return files


config_option = click.option(
    "--config", "config", metavar="PATH", help="providers.yaml (default: search, then the embedded default)."
)
state_option = click.option(
    "--state",
    metavar="PATH_OR_URL",
    help="State file (default ~/.local/state/coderouter/state.db) or postgresql://user@host/db.",
)


def state_missing(location: StateLocation) -> bool:
    """Whether ``location`` is a state file not created yet (a server's database always counts as
    there: reaching it is the operation's own concern)."""
    file = state_file(location)
    return file is not None and not file.exists()


def require_state(location: StateLocation) -> None:
    """Exit with a hint when there is no state file to read yet."""
    if state_missing(location):
        fail(f"no state file at {location} (start the gateway once, or pass --state)", EXIT_FAILURE)


def instance_and_config(
    config: str | None, state: str | None
) -> tuple[CodeRouterConfig | None, StateLocation]:
    """The caps to show (from ``--config`` if it loads, else the config the instance last ran, else
    the search) and the state file; with none of them loading, spend shows without caps."""
    files = instance_files(config, state)
    if config is not None:
        with contextlib.suppress(ConfigError):  # instance_files has reported why
            return load(config)[1].config, files.state_db
    try:
        if files.config_snapshot.exists():
            snapshot = files.config_snapshot
            return parse_config(
                snapshot.read_text(encoding="utf-8"), str(snapshot), os.environ
            ).config, files.state_db
        if config is None:
            return load(None)[1].config, files.state_db
    except (ConfigError, OSError):
        pass
    return None, files.state_db
