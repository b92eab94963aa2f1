"""One running instance's files, all beside its state database.

Two instances under one user differ by state file, so nothing of theirs collides: each
has its own pid file and config snapshot (and gunicorn's control socket is off).
"""

from __future__ import annotations

import contextlib
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
