"""Unusable state directories for tests, made real as root (as CI runs): a small tmpfs (full or
mounted read-only) and ``chattr +i``. Each is undone when its block ends, even on failure."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def mounted_tmpfs(at: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    at.mkdir(parents=True, exist_ok=True)
    options = f"size={size},ro" if read_only else f"size={size}"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(at)], check=True)
    try:
        yield at
    finally:
        if subprocess.run(["umount", str(at)], check=False).returncode != 0:
            subprocess.run(["umount", "--lazy", str(at)], check=False)


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=False)


def _write_until_full(fd: int, chunk: int) -> None:
    try:
        while True:
            os.write(fd, b"\0" * chunk)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise


@contextlib.contextmanager
def kept_full(directory: Path) -> Iterator[None]:
    """Keep the filesystem of ``directory`` full for the block: a file grows into any room that
    appears (a WAL checkpoint truncates the WAL and frees its pages), then it is removed."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    done = threading.Event()

    def top_up() -> None:
        while not done.wait(0.005):
            _write_until_full(fd, 4096)

    _write_until_full(fd, 65536)
    _write_until_full(fd, 4096)
    thread = threading.Thread(target=top_up, name="disk-filler")
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        os.close(fd)
        filler.unlink()
