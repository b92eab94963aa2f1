"""One running instance's files, all in its runtime directory, and the registry that finds them.

With a SQLite state file the runtime directory is the file's own, and two instances under one user
differ by state file; boxes sharing one PostgreSQL each keep a directory of their own (see
:func:`~.settings.resolve_settings`). Either way nothing of two instances collides: each has its own
pid file, config snapshot and reload outcome (and gunicorn's control socket is off).
The state file may be named by the config itself, so `start` registers it under the config's
path: the admin commands then find a running instance even after its config stopped loading.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coderouter_supervisor.state import StateLocation, shown_location, state_file

if TYPE_CHECKING:
    from coderouter_supervisor.supervisor.lifecycle.settings import SupervisorSettings


@dataclass(frozen=True)
class InstanceFiles:
    state_db: StateLocation
    directory: Path

    @classmethod
    def of(cls, settings: SupervisorSettings) -> InstanceFiles:
        return cls(settings.state_db, settings.runtime_dir)

    @property
    def state_shown(self) -> str:
        return shown_location(self.state_db)

    def _named(self, suffix: str) -> Path:
        file = state_file(self.state_db)
        return self.directory / ((file.stem if file is not None else "state") + suffix)

    @property
    def pid_file(self) -> Path:
        return self._named(".supervisor.pid")

    @property
    def config_snapshot(self) -> Path:
        return self._named(".active-config.yaml")

    @property
    def reload_outcome(self) -> Path:
        return self._named(".reload-outcome.json")


def _registration(registry: Path, config_path: Path) -> Path:
    return registry / (hashlib.sha256(str(config_path.resolve()).encode()).hexdigest()[:16] + ".state-path")


def register_instance(registry: Path, config_path: Path, files: InstanceFiles) -> None:
    """Record which state and runtime directory the instance started from ``config_path`` uses (best
    effort: without it, admin commands still find the instance while its config loads). A URL is
    recorded without its password: libpq's own sources (``PGPASSWORD``, ``~/.pgpass``) supply it."""
    with contextlib.suppress(OSError):
        registry.mkdir(parents=True, exist_ok=True)
        write_atomically(_registration(registry, config_path), f"{files.state_shown}\n{files.directory}\n")


def registered_instance(registry: Path, config_path: Path) -> InstanceFiles | None:
    """The files of the instance last started from ``config_path``, if it is still running."""
    try:
        lines = _registration(registry, config_path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    file = state_file(lines[0]) if lines else None
    directory = Path(lines[1]) if len(lines) > 1 else file.parent if file is not None else None
    if not lines or directory is None or not directory.is_absolute():
        return None
    files = InstanceFiles(lines[0] if file is None else file, directory)
    return files if running_supervisor_pid(files) is not None else None


def sole_running_sibling(files: InstanceFiles) -> InstanceFiles | None:
    """For a server's state: the one instance of it running on this machine under another port (the
    admin commands know no port), or None when there is none or several."""
    if state_file(files.state_db) is not None or not files.directory.parent.is_dir():
        return None
    running = [
        InstanceFiles(files.state_db, directory)
        for directory in sorted(files.directory.parent.glob("port-*"))
        if running_supervisor_pid(InstanceFiles(files.state_db, directory)) is not None
    ]
    return running[0] if len(running) == 1 else None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` so that readers see the old or the new text, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not also keep a half-written copy
        raise


def _is_supervisor(pid: int) -> bool:
    """Whether ``pid`` is alive and looks like a coderouter-supervisor (guards against pid reuse)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the liveness check
    return b"coderouter" in cmdline


def running_supervisor_pid(files: InstanceFiles) -> int | None:
    """The pid of the live supervisor owning ``files``, or None (a stale pid file is ignored)."""
    try:
        pid = int(files.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 0 and _is_supervisor(pid) else None


def write_pid_file(files: InstanceFiles) -> None:
    write_atomically(files.pid_file, f"{os.getpid()}\n")


def remove_pid_file(files: InstanceFiles) -> None:
    """Remove the pid file if it is still ours."""
    with contextlib.suppress(OSError, ValueError):
        if int(files.pid_file.read_text().strip()) == os.getpid():
            files.pid_file.unlink()
