"""The supervisor's effective settings: CLI flag > environment > ``supervisor:`` in yaml > default."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from coderouter_supervisor.state import (
    StateError,
    StateLocation,
    default_state_path,
    shown_location,
    state_file,
    with_password,
)
from coderouter_supervisor.worker.config import SupervisorSection
from coderouter_supervisor.worker.telemetry import WriteProfile

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8088
# Agent streams can run for minutes (Claude Code waits up to 10 min), so a stop or reload
# lets in-flight streams finish for this long before cutting them.
DEFAULT_GRACEFUL_TIMEOUT_S = 600.0
_MAX_DEFAULT_WORKERS = 4
# At or below this much memory (a Raspberry Pi, a small VM) the models need it more than a second
# process does: one worker, served without an arbiter.
SMALL_MACHINE_BYTES = 2 * 1024**3


class SettingError(ValueError):
    """An environment variable holds a value the supervisor cannot use."""


@dataclass(frozen=True)
class SupervisorFlags:
    """What was given on the command line (None = not given)."""

    host: str | None = None
    port: int | None = None
    workers: int | None = None
    state: str | None = None
    graceful_timeout_s: float | None = None
    admin_port: int | None = None


@dataclass(frozen=True)
class SupervisorSettings:
    """``admin_port`` 0 turns the supervisor's own endpoint off; it always binds loopback.

    ``state_db`` is a SQLite file's absolute path or a PostgreSQL URL (which may carry a password:
    show it through :attr:`state_shown`). ``runtime_dir`` holds this instance's own files (pid,
    config snapshot, reload outcome): beside a state file, else a directory of this box's own."""

    host: str
    port: int
    workers: int
    state_db: StateLocation
    runtime_dir: Path
    graceful_timeout_s: float
    admin_port: int = 0
    write_profile: WriteProfile = "default"

    @property
    def state_shown(self) -> str:
        return shown_location(self.state_db)

    @property
    def bind(self) -> str:
        """``host:port`` as gunicorn takes it (IPv6 literals in brackets)."""
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port}"


def default_workers(cpu_count: int | None, memory_bytes: int | None = None) -> int:
    """One worker per core, at most four (each async worker already serves many streams); one on a
    machine with at most :data:`SMALL_MACHINE_BYTES` of memory."""
    if memory_bytes is not None and memory_bytes <= SMALL_MACHINE_BYTES:
        return 1
    return max(1, min(cpu_count or 1, _MAX_DEFAULT_WORKERS))


_DEVICE_TREE_MODEL = Path("/proc/device-tree/model")


def on_raspberry_pi(model_file: Path = _DEVICE_TREE_MODEL) -> bool:
    try:
        return model_file.read_bytes().startswith(b"Raspberry Pi")
    except OSError:
        return False


def physical_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None


def _env_int(env: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected a whole number from {low} to {high}") from None
    if not low <= value <= high:
        raise SettingError(f"{name}={raw!r}: expected a whole number from {low} to {high}")
    return value


def _state_location(given: str | None, env: Mapping[str, str], home: Path) -> StateLocation:
    if not given:
        return default_state_path(env, home)
    try:
        file = state_file(given)
    except StateError as exc:  # a URL of no backend's scheme
        raise SettingError(str(exc)) from exc
    return _expand(given, home) if file is not None else given


def _password(env: Mapping[str, str], name: str) -> str:
    password = env.get(name, "")
    if not password:
        raise SettingError(f"{name} (named by supervisor.state_password_env) is not set")
    return password


def _runtime_dir(state: StateLocation, port: int, env: Mapping[str, str], home: Path) -> Path:
    """Where this instance keeps its files. Boxes sharing one server each keep their own, and two
    instances of one server on one machine (told apart by port) do not collide either."""
    file = state_file(state)
    if file is not None:
        return file.parent
    digest = hashlib.sha256(shown_location(state).encode()).hexdigest()[:16]
    return default_state_path(env, home).parent / "instances" / f"postgresql-{digest}" / f"port-{port}"


def _expand(path: str, home: Path) -> Path:
    if path == "~" or path.startswith("~/"):
        path = str(home) + path[1:]
    return Path(path).absolute()


def resolve_settings(
    flags: SupervisorFlags,
    section: SupervisorSection,
    env: Mapping[str, str],
    home: Path,
    cpu_count: int | None = None,
    memory_bytes: int | None = None,
    raspberry_pi: bool | None = None,
) -> SupervisorSettings:
    """Merge the sources, first set wins: flag, environment, yaml, default.

    Raises :class:`SettingError` for an unusable environment value.
    """
    env_host = env.get("CODEROUTER_HOST", "").strip() or None
    env_port = _env_int(env, "CODEROUTER_PORT", 1, 65535)
    env_workers = _env_int(env, "CODEROUTER_WORKERS", 1, 64)
    env_state = env.get("CODEROUTER_STATE_DB", "").strip() or None
    env_admin = _env_int(env, "CODEROUTER_ADMIN_PORT", 0, 65535)

    state = flags.state or env_state or section.state
    workers = flags.workers or env_workers or section.workers
    graceful = flags.graceful_timeout_s or section.graceful_timeout_s
    port = flags.port or env_port or section.port or DEFAULT_PORT
    admin = next((v for v in (flags.admin_port, env_admin, section.admin_port) if v is not None), None)
    location = _state_location(state, env, home)
    if section.state_password_env is not None and state_file(location) is None:
        location = with_password(location, _password(env, section.state_password_env))
    return SupervisorSettings(
        host=flags.host or env_host or section.host or DEFAULT_HOST,
        port=port,
        workers=workers
        or default_workers(
            cpu_count if cpu_count is not None else os.cpu_count(),
            memory_bytes if memory_bytes is not None else physical_memory_bytes(),
        ),
        state_db=location,
        runtime_dir=_runtime_dir(location, port, env, home),
        graceful_timeout_s=graceful or DEFAULT_GRACEFUL_TIMEOUT_S,
        admin_port=admin if admin is not None else (port + 1 if port < 65535 else 0),
        write_profile=section.profile
        or ("low_write" if (on_raspberry_pi() if raspberry_pi is None else raspberry_pi) else "default"),
    )
