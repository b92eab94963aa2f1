"""Starting the real `coderouter-supervisor` as a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "coderouter_supervisor.supervisor"]
_SCRUBBED_ENV = (
    "CODEROUTER_CONFIG",
    "CODEROUTER_STATE_DB",
    "CODEROUTER_HOST",
    "CODEROUTER_PORT",
    "CODEROUTER_WORKERS",
    "CODEROUTER_MODE",
    "ALLOW_PAID",
    "GUNICORN_CMD_ARGS",
    "CODEROUTER_EVENTS_PATH",
    "CODEROUTER_LOG_LEVEL",
    "CODEROUTER_ADMIN_PORT",
    "STATE_DIRECTORY",
)

# For a test that reads a served request's per-attempt events (try-provider, provider-ok,
# cache-observed), which are logged at debug only.
DEBUG_EVENTS = {"CODEROUTER_LOG_LEVEL": "debug"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolated_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment minus anything that would make the gateway find real config."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV and not k.startswith("XDG_")}
    env["HOME"] = str(home)
    env.update(extra or {})
    return env


def as_another_machine(host: str) -> list[str]:
    """A command prefix (``start_gateway(prefix=...)``) running the rest under host name ``host`` in a
    UTS namespace of its own: a second "box" on this machine, as the state's heartbeat rows see it."""
    return ["unshare", "--uts", "--", "sh", "-c", f'hostname {host} && exec "$@"', "sh"]


def run_cli(
    workdir: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one `coderouter-supervisor` command in ``workdir``, with ``workdir/home`` as its HOME."""
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [*CLI, *args],
        env=isolated_env(home, env),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Gateway:
    """A started supervisor: its process, address, files and log. ``state_db`` is the state file,
    or the PostgreSQL URL it was started with."""

    proc: subprocess.Popen[bytes]
    port: int
    state_db: Path | str
    env: dict[str, str]
    cwd: Path
    log_path: Path
    workers: int
    admin_port: int = 0

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args, "--state", str(self.state_db)],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def healthz(self, fresh_connection: bool = True) -> dict[str, object]:
        headers = {"connection": "close"} if fresh_connection else {}
        response = httpx.get(f"{self.base_url}/healthz", headers=headers, timeout=5)
        response.raise_for_status()
        body: dict[str, object] = response.json()
        return body

    def wait_until(self, predicate: object, timeout: float = 30, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"supervisor exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if predicate():  # type: ignore[operator]
                    return
            except (httpx.HTTPError, OSError) as exc:
                last_error = exc
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what} (last error: {last_error}):\n{self.log()}")

    def wait_ready(self, timeout: float = 30) -> None:
        self.wait_until(
            lambda: int(str(self.healthz()["workers_alive"])) == self.workers,
            timeout,
            f"{self.workers} workers ready",
        )

    def worker_pids(self, timeout: float = 30) -> set[int]:
        """Distinct pids answering /healthz, asked over new connections until all workers showed."""
        seen: set[int] = set()

        def all_seen() -> bool:
            seen.add(int(str(self.healthz()["pid"])))
            return len(seen) >= self.workers

        self.wait_until(all_seen, timeout, f"{self.workers} distinct worker pids")
        return seen

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM the supervisor and wait; kill everything left if it does not exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_all()
            raise

    def shut_down(self) -> None:
        """The end of a test's gateway: a clean stop, else SIGKILL to everything it started. A slow
        stop is killed rather than failing the teardown; stopping is tested where it matters."""
        try:
            self.terminate()
        except Exception:
            self.kill_all()

    def kill_all(self) -> None:
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(10)


def start_gateway(
    tmp_path: Path,
    *args: str,
    workers: int = 1,
    port: int | None = None,
    config_text: str | None = None,
    env: dict[str, str] | None = None,
    wait: bool = True,
    state: str | None = None,
    prefix: Sequence[str] = (),
) -> Gateway:
    """Start `coderouter-supervisor start` with a fresh state file under ``tmp_path``, or on the
    PostgreSQL database ``state`` names (then given through ``$CODEROUTER_STATE_DB``, as a URL with a
    password should be, rather than the command line). ``prefix`` runs before the command (a
    namespace, say)."""
    home = tmp_path / "home"
    cwd = tmp_path / "cwd"
    home.mkdir(exist_ok=True)
    cwd.mkdir(exist_ok=True)
    state_db: Path | str = tmp_path / "state" / "state.db"
    argv = [*prefix, *CLI, "start", "--workers", str(workers)]
    if state is None:
        argv += ["--state", str(state_db)]
    else:
        state_db = state
        env = {**(env or {}), "CODEROUTER_STATE_DB": state}
    if port is None:
        port = free_port()
    admin_port = port + 1
    if port != 8088:
        argv += ["--port", str(port)]
        if "--admin-port" not in args:
            # port + 1 may belong to another test's process; ask for a port known to be free.
            admin_port = free_port()
            argv += ["--admin-port", str(admin_port)]
    if config_text is not None:
        config_path = tmp_path / "providers.yaml"
        config_path.write_text(config_text)
        argv += ["--config", str(config_path)]
    argv += list(args)
    log_path = tmp_path / f"supervisor-{port}.log"
    with log_path.open("wb") as handle:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            argv, env=isolated_env(home, env), cwd=cwd, stdout=handle, stderr=subprocess.STDOUT
        )
    gateway = Gateway(proc, port, state_db, isolated_env(home, env), cwd, log_path, workers, admin_port)
    if wait:
        try:
            gateway.wait_ready()
        except BaseException:
            gateway.kill_all()
            raise
    return gateway


StartGateway = Callable[..., Gateway]
