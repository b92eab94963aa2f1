"""A throwaway PostgreSQL server for the tests: its own data directory, port and socket directory.

Started from the distribution's binaries (``apt-get install postgresql``; the cluster the package may
have created is not touched). PostgreSQL refuses to run as root, so under root (as in CI) the server
runs as the ``postgres`` system user the package creates. ``fsync`` is off: these servers hold test
data only, and a restart (:meth:`PostgresServer.restart`) is a clean shutdown, which loses nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support.gateway_process import free_port
from support.system_tools import postgres_bin_dir

USER = "coderouter"
PASSWORD = "test-secret"  # a throwaway server's; never a real credential
DATABASE = "coderouter"
_SERVICE_USER = "postgres"


def _as_service_user() -> list[str]:
    return ["runuser", "-u", _SERVICE_USER, "--"] if os.geteuid() == 0 else []


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, *, password: bool = True) -> str:
        secret = f":{PASSWORD}" if password else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{DATABASE}"

    def init(self) -> None:
        self.data_dir.mkdir()
        self.socket_dir.mkdir()
        password_file = self.root / "password"
        password_file.write_text(PASSWORD)
        if os.geteuid() == 0:
            shutil.chown(self.root, _SERVICE_USER)
            for path in (self.data_dir, self.socket_dir, password_file):
                shutil.chown(path, _SERVICE_USER)
        self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            USER,
            "--pwfile",
            str(password_file),
            "--auth-local",
            "trust",
            "--auth-host",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--no-sync",
        )
        password_file.unlink()

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *_as_service_user(),
                    str(self.bin_dir / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.socket_dir),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=200",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def stop(self) -> None:
        """A fast shutdown (SIGINT): sessions are ended, committed data is kept."""
        if self.process is None:
            return
        # pg_ctl signals the server itself: under root the child here is runuser, not postgres.
        subprocess.run(
            [*_as_service_user(), str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-mfast"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the server (the postmaster, named in its pid file, and its backends, as a crash of the
        service would); it recovers at the next start. A backend outliving its postmaster serves its
        connection until it notices, which under load let the next query through."""
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():
            postmaster = int(pid_file.read_text().split()[0])
            for pid in (postmaster, *_children(postmaster)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, name: str) -> None:
        self._run("createdb", "-h", str(self.socket_dir), "-p", str(self.port), "-U", USER, name)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*_as_service_user(), str(self.bin_dir / program), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def _wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited at start:\n{self.log_path.read_text()[-2000:]}")
            ready = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not accept connections in {timeout_s} s")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh server with database :data:`DATABASE` owned by :data:`USER`; removed afterwards."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is needed for these tests: apt-get install postgresql")
    server = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix="coderouter-pg-")), free_port())
    try:
        server.init()
        server.start()
        server.create_database(DATABASE)
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def _children(parent: int) -> list[int]:
    """The processes whose parent is ``parent`` (from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name, in parentheses, may hold spaces: the parent pid is the second field after it.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == parent:
                children.append(int(stat.parent.name))
    return children
