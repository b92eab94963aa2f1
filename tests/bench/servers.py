"""Starting what the benchmark measures — the gateway, the floor, the canned upstream — and reading /proc.

Every server runs as its own process tree on a free loopback port; :class:`Served` knows the tree
(supervisor, gunicorn arbiter, workers) so CPU time covers all of it and RSS is read per worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and every live process below it."""
    found, stack = [pid], [pid]
    while stack:
        below = children(stack.pop())
        found += below
        stack += below
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime + stime of these processes (their threads included), from /proc/PID/stat."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total * TICK_S


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def healthy(port: int) -> bool:
    """One GET /healthz over a fresh connection; True on a 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


@dataclass
class Served:
    """A started server tree; ``ready_s`` is spawn → first 200 on /healthz."""

    proc: subprocess.Popen[bytes]
    port: int
    workers: int
    ready_s: float

    def pids(self) -> list[int]:
        return tree(self.proc.pid)

    def worker_pids(self) -> list[int]:
        """The processes serving requests: the single process itself, or gunicorn's workers."""
        if self.workers == 1:
            return [self.proc.pid]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = [pid for pid in self.pids() if not children(pid) and pid != self.proc.pid]
            if len(found) >= self.workers:
                return found
            time.sleep(0.05)
        raise RuntimeError(f"expected {self.workers} workers, see {self.pids()}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait(5)


def spawn(argv: list[str], port: int, workers: int, env: dict[str, str], log: Path, cwd: Path) -> Served:
    with log.open("ab") as handle:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not healthy(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"{argv[:4]} did not become ready; see {log}")
        time.sleep(0.005)
    served = Served(proc, port, workers, time.perf_counter() - started)
    served.worker_pids()  # every worker up before anything is measured
    return served


def bench_env(**extra: str) -> dict[str, str]:
    """This environment minus anything that would point the gateway at other config or an events file."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CODEROUTER_", "XDG_", "GUNICORN_"))
        and k not in {"ALLOW_PAID", "STATE_DIRECTORY"}
    }
    env.update(extra)
    return env


def start_gateway(
    folder: Path, config: str, workers: int, prefix: Sequence[str] = (), log_name: str = "gateway.log"
) -> Served:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "providers.yaml").write_text(config)
    port, admin = free_port(), free_port()
    argv = [
        *prefix,
        sys.executable,
        "-m",
        "coderouter_supervisor.supervisor",
        "start",
        "--workers",
        str(workers),
        "--port",
        str(port),
        "--admin-port",
        str(admin),
        "--state",
        str(folder / "state" / "state.db"),
        "--config",
        str(folder / "providers.yaml"),
    ]
    # The config's Anthropic providers read their key from BENCH_KEY; the canned upstream ignores it.
    env = bench_env(HOME=str(folder), BENCH_KEY="sk-bench-provider")
    return spawn(argv, port, workers, env, folder / log_name, folder)


def start_floor(folder: Path, upstream_port: int, workers: int) -> Served:
    """The floor under the server ``start`` uses: uvicorn for 1 worker, gunicorn + UvicornWorker for more."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    if workers == 1:
        argv = [sys.executable, "-m", "uvicorn", "floor_app:app", "--port", str(port), "--no-access-log"]
        argv += ["--timeout-keep-alive", "75", "--no-server-header", "--log-level", "warning"]
    else:
        argv = [sys.executable, "-m", "gunicorn", "-k", "uvicorn_worker.UvicornWorker", "-w", str(workers)]
        argv += ["--bind", f"127.0.0.1:{port}", "--keep-alive", "75", "--worker-tmp-dir", "/dev/shm"]
        argv += ["--no-control-socket", "floor_app:app"]
    path = os.pathsep.join(p for p in (str(BENCH_DIR), os.environ.get("PYTHONPATH", "")) if p)
    env = bench_env(BENCH_UPSTREAM_PORT=str(upstream_port), PYTHONPATH=path)
    return spawn(argv, port, workers, env, folder / f"floor-{workers}.log", BENCH_DIR)


def start_upstream(folder: Path, events: int) -> tuple[subprocess.Popen[bytes], int]:
    """The canned upstream; a streamed answer has ``events`` content events."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(BENCH_DIR / "canned_upstream.py"), str(port), str(events)],
        stdout=subprocess.PIPE,
        stderr=(folder / "upstream.log").open("ab"),
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"ready":
        raise RuntimeError("canned upstream did not start")
    return proc, port
