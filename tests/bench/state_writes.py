"""Bytes the gateway writes to its state directory, counted at the system-call boundary.

The gateway (``--workers 1``: the one process that serves) runs under ``strace -f -y``, which logs
every ``write``/``pwrite64``/``writev``/``pwritev`` with the path its descriptor points at and the
bytes the kernel accepted. Summing those whose path is under the state directory counts exactly what
SQLite hands the kernel for ``state.db``, ``-wal`` and ``-journal`` — including overwrites of the
same WAL pages that page-cache counters (``/proc/PID/io`` ``write_bytes``) would fold together, and
independent of the filesystem (tmpfs included). Not counted: the ``-shm`` wal-index, which SQLite
updates through ``mmap`` (shared memory, not a durable write). Each measurement is a window of
wall time bounded by timestamps; the same length of idle time right after it is the baseline of
timed writes (heartbeat, metrics, observation batches), so load - idle is what the requests wrote.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

STRACE = [
    "strace",
    "-f",
    "-qq",
    "-ttt",
    "-e",
    "trace=write,pwrite64,writev,pwritev",
    "-e",
    "signal=none",
    "-y",
]
STRACE += ["-s", "0"]

_CALL = re.compile(r"^(\d+)\s+([\d.]+)\s+(\w+)\(\d+<([^>]*)>(.*)$")
_RESUMED = re.compile(r"^(\d+)\s+([\d.]+)\s+<\.\.\. \w+ resumed>.*=\s+(-?\d+)")
_RESULT = re.compile(r"=\s+(-?\d+)(?:\s|$)")


@dataclass(frozen=True)
class Write:
    at: float
    path: str
    size: int


def strace_prefix(log: Path) -> list[str]:
    return [*STRACE, "-o", str(log)]


def parse(log: Path, under: Path) -> list[Write]:
    """Successful writes to files below ``under``, in the order strace logged them."""
    prefix = str(under)
    pending: dict[str, tuple[float, str]] = {}
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if match := _CALL.match(line):
            pid, at, _, path, rest = match.groups()
            if "<unfinished ...>" in rest:
                pending[pid] = (float(at), path)
                continue
            result = _RESULT.search(rest.rsplit(")", 1)[-1] if ")" in rest else rest)
            if result and path.startswith(prefix) and int(result.group(1)) > 0:
                found.append(Write(float(at), path, int(result.group(1))))
        elif match := _RESUMED.match(line):
            pid, _, size = match.groups()
            if pid in pending:
                at, path = pending.pop(pid)
                if path.startswith(prefix) and int(size) > 0:
                    found.append(Write(at, path, int(size)))
    return found


@dataclass(frozen=True)
class Window:
    calls: int
    bytes: int
    files: tuple[tuple[str, int], ...]


def window(writes: list[Write], start: float, end: float) -> Window:
    inside = [w for w in writes if start <= w.at < end]
    per_file: Counter[str] = Counter()
    for w in inside:
        per_file[Path(w.path).name] += w.size
    return Window(len(inside), sum(w.size for w in inside), tuple(sorted(per_file.items())))
