"""The optional JSONL mirror of the event log, shared by every process of an instance.

Each event is one ``write()`` of one whole line to a descriptor opened with ``O_APPEND``, so lines
from several workers never interleave (the kernel positions and writes each append under the
file's lock). Rotation by size is coordinated with an advisory lock beside the file: one process
renames ``events.jsonl`` to ``events.jsonl.1``, and every process notices the new inode and reopens.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Checking the size costs a stat; every this many lines is often enough for a rough limit.
_CHECK_EVERY = 64


class EventFileHandler(logging.Handler):
    """Append each formatted record as one line to ``path``; rotate past ``max_bytes`` (one backup)."""

    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__()
        self.path = path
        self.max_bytes = max_bytes
        self._lock_path = path.with_name(path.name + ".lock")
        self._since_check = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = self._open()

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.write_line(self.format(record))
        except Exception:
            self.handleError(record)

    def write_line(self, line: str) -> None:
        """Append ``line`` (one rendered event, no newline) in one ``write()``; the caller holds the
        handler's lock and handles what this raises."""
        encoded = (line + "\n").encode("utf-8")
        self._maybe_rotate()
        os.write(self._fd, encoded)

    def _maybe_rotate(self) -> None:
        self._since_check += 1
        if self._since_check < _CHECK_EVERY:
            return
        self._since_check = 0
        try:
            current = self.path.stat()
        except FileNotFoundError:
            self._reopen()
            return
        if current.st_ino != os.fstat(self._fd).st_ino:
            self._reopen()  # another process rotated
            return
        if current.st_size < self.max_bytes:
            return
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                # Another process may have rotated while we waited for the lock.
                if self.path.stat().st_ino == current.st_ino:
                    self.path.replace(self.path.with_name(self.path.name + ".1"))
            except FileNotFoundError:
                pass
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        self._reopen()

    def _reopen(self) -> None:
        old, self._fd = self._fd, self._open()
        with contextlib.suppress(OSError):
            os.close(old)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
        super().close()
