"""One running instance's files, all beside its state database, and the registry that finds them.

Two instances under one user differ by state file, so nothing of theirs collides: each
has its own pid file, config snapshot and reload outcome (and gunicorn's control socket is off).
The state file may be named by the config itself, so `start` registers it under the config's
path: the admin commands then find a running instance even after its config stopped loading.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InstanceFiles:
    state_db: Path

    @property
    def directory(self) -> Path:
        return self.state_db.parent

    @property
    def pid_file(self) -> Path:
        return self.state_db.with_name(self.state_db.stem + ".supervisor.pid")

    @property
    def config_snapshot(self) -> Path:
        return self.state_db.with_name(self.state_db.stem + ".active-config.yaml")

    @property
    def reload_outcome(self) -> Path:
        return self.state_db.with_name(self.state_db.stem + ".reload-outcome.json")


def _registration(registry: Path, config_path: Path) -> Path:
    return registry / (hashlib.sha256(str(config_path.resolve()).encode()).hexdigest()[:16] + ".state-path")


def register_instance(registry: Path, config_path: Path, files: InstanceFiles) -> None:
    """Record which state file the instance started from ``config_path`` uses (best effort: without
    it, admin commands still find the instance while its config loads)."""
    with contextlib.suppress(OSError):
        registry.mkdir(parents=True, exist_ok=True)
        write_atomically(_registration(registry, config_path), f"{files.state_db}\n")


def registered_instance(registry: Path, config_path: Path) -> InstanceFiles | None:
    """The files of the instance last started from ``config_path``, if it is still running."""
    try:
        state_db = Path(_registration(registry, config_path).read_text(encoding="utf-8").strip())
    except OSError:
        return None
    files = InstanceFiles(state_db)
    return files if state_db.is_absolute() and running_supervisor_pid(files) is not None else None


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
