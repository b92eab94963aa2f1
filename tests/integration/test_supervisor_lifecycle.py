"""The real supervisor on loopback: gunicorn with uvicorn workers, or one process with one worker."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from support.gateway_process import CLI, Gateway, StartGateway, alive, descendants, free_port

pytestmark = pytest.mark.integration


def test_start_with_no_config_serves_healthz_on_loopback_8088(gateway_factory: StartGateway) -> None:
    gateway = gateway_factory(port=8088)
    body = gateway.healthz()
    assert body["status"] == "ok"
    assert body["config_source"] == "<embedded default>"
    assert isinstance(body["pid"], int)
    assert isinstance(body["config"], str)
    assert len(str(body["config"])) == 12
    assert body["workers_alive"] == 1
    assert body["version"]
    # Loopback only by default: the port is not reachable on another local address.
    assert "127.0.0.1:8088" in gateway.log()
    result = gateway.cli("stop")
    assert result.returncode == 0, result.stderr
    assert gateway.proc.wait(10) == 0


@pytest.mark.parametrize(
    ("workers", "how"), [(4, "cli-stop"), (4, "sigterm"), (1, "cli-stop"), (1, "sigterm")]
)
def test_workers_status_and_stop(gateway_factory: StartGateway, workers: int, how: str) -> None:
    gateway = gateway_factory(workers=workers)
    pids = gateway.worker_pids()
    assert len(pids) == workers
    tree = descendants(gateway.proc.pid)
    if workers == 1:
        # One worker is one process: the supervisor serves the gateway itself, no arbiter.
        assert tree == []
        assert pids == {gateway.proc.pid}
    else:
        assert pids <= set(tree)

    status = gateway.cli("status")
    assert status.returncode == 0, status.stderr
    assert f"{workers} workers alive" in status.stdout
    listed = {int(line.split()[0]) for line in status.stdout.splitlines()[2:]}
    assert listed == pids

    started = time.monotonic()
    if how == "cli-stop":
        result = gateway.cli("stop", timeout=15)
        assert result.returncode == 0, result.stderr
        assert "stopped" in result.stdout
    else:
        gateway.proc.send_signal(signal.SIGTERM)
    assert gateway.proc.wait(10) == 0
    assert time.monotonic() - started < 10
    assert not [pid for pid in tree if alive(pid)]
    assert gateway.cli("status").returncode == 3


def test_status_counts_model_calls_not_health_polls(gateway_factory: StartGateway) -> None:
    gateway = gateway_factory(workers=1)
    for _ in range(5):
        gateway.healthz()
    assert httpx.get(f"{gateway.base_url}/metrics.json", timeout=10).status_code == 200
    refused = httpx.post(f"{gateway.base_url}/v1/chat/completions", json={}, timeout=10)
    assert refused.status_code == 400  # a model call all the same

    def requests_shown() -> int:
        status = gateway.cli("status")
        return int(status.stdout.splitlines()[2].split()[-1])

    gateway.wait_until(lambda: requests_shown() >= 1, 15, "the model call in status")
    assert requests_shown() == 1


@pytest.mark.parametrize("workers", [2, 1])
def test_sighup_refuses_a_broken_config_and_applies_a_valid_one(
    gateway_factory: StartGateway, tmp_path: Path, workers: int
) -> None:
    gateway = gateway_factory(workers=workers, config_text=VALID_CONFIG)
    old_digest = gateway.healthz()["config"]
    old_pids = gateway.worker_pids()
    config_path = tmp_path / "providers.yaml"

    config_path.write_text(VALID_CONFIG.replace("providers: [local]", "providers: [missing]"))
    gateway.proc.send_signal(signal.SIGHUP)
    gateway.wait_until(lambda: "reload-refused" in gateway.log(), 15, "reload-refused in the log")
    assert "unknown provider 'missing'" in gateway.log()
    for _ in range(10):
        body = gateway.healthz()
        assert body["config"] == old_digest
        assert body["pid"] in old_pids

    config_path.write_text(VALID_CONFIG.replace("timeout_s: 30", "timeout_s: 45"))
    result = gateway.cli("reload", "--config", str(config_path))
    assert result.returncode == 0, result.stderr
    gateway.wait_until(lambda: gateway.healthz()["config"] != old_digest, 30, "the new digest")
    new = gateway.healthz()
    if workers == 1:
        assert new["pid"] in old_pids  # applied in place
    else:
        assert new["pid"] not in old_pids  # gunicorn replaced the workers
    gateway.wait_until(
        lambda: all(gateway.healthz()["config"] == new["config"] for _ in range(8)), 30, "only new workers"
    )


def test_sigkilled_worker_is_replaced(gateway_factory: StartGateway) -> None:
    gateway = gateway_factory(workers=2)
    pids = gateway.worker_pids()
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    gateway.wait_until(lambda: not alive(victim), 10, "the killed worker to be reaped")
    replaced: set[int] = set()

    def replacement_answers() -> bool:
        pid = gateway.healthz()["pid"]
        assert pid != victim
        if pid not in pids:
            replaced.add(int(str(pid)))
        return bool(replaced)

    gateway.wait_until(replacement_answers, 30, "a replacement worker")
    gateway.wait_until(lambda: gateway.healthz()["workers_alive"] == 2, 15, "two live workers")
    status = gateway.cli("status")
    assert str(victim) not in status.stdout.split("REQUESTS", 1)[1]


def test_start_refuses_a_broken_config_without_traceback(gateway_factory: StartGateway) -> None:
    gateway = gateway_factory(config_text="providers: []\nprofiles: []\n", wait=False)
    assert gateway.proc.wait(20) == 2
    log = gateway.log()
    assert "providers.yaml" in log
    assert "Traceback" not in log


def test_start_refuses_a_state_file_of_a_newer_version_with_exit_2(
    gateway_factory: StartGateway, tmp_path: Path
) -> None:
    state_db = tmp_path / "state" / "state.db"
    state_db.parent.mkdir()
    with sqlite3.connect(state_db) as conn:
        conn.execute("PRAGMA user_version = 9999")
    gateway = gateway_factory(wait=False)
    # systemd's RestartPreventExitStatus=2: restarting cannot downgrade the file.
    assert gateway.proc.wait(20) == 2
    assert "newer coderouter-supervisor" in gateway.log()


def test_start_refuses_a_second_instance_and_a_taken_port(gateway_factory: StartGateway) -> None:
    first = gateway_factory()
    second = gateway_factory(port=free_port(), wait=False)  # same state file
    assert second.proc.wait(20) == 1
    assert "already running" in second.log()
    assert first.healthz()["status"] == "ok"


def test_loopback_bind_is_not_reachable_elsewhere(gateway_factory: StartGateway) -> None:
    gateway = gateway_factory()
    with pytest.raises(httpx.ConnectError):
        # 127.0.0.2 is loopback too but not the bound address.
        httpx.get(f"http://127.0.0.2:{gateway.port}/healthz", timeout=2)


VALID_CONFIG = """\
providers:
  - name: local
    base_url: http://127.0.0.1:9/v1
    model: qwen3-coder:30b
    timeout_s: 30
profiles:
  - name: default
    providers: [local]
"""


def _cli_without_state(gateway: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    """An admin command as a user types it: ``--config`` only, no ``--state``."""
    return subprocess.run(
        [*CLI, *args],
        env=gateway.env,
        cwd=gateway.cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("workers", [2, 1])
def test_admin_commands_find_the_instance_of_a_config_that_no_longer_loads(
    gateway_factory: StartGateway, tmp_path: Path, workers: int
) -> None:
    config_path = tmp_path / "providers.yaml"
    gateway = gateway_factory(workers=workers, config_text=VALID_CONFIG)
    # The instance's state file is not the default one, so only a registration can lead to it.
    config_path.write_text(VALID_CONFIG.replace("providers: [local]", "providers: [missing]"))

    status = _cli_without_state(gateway, "status", "--config", str(config_path))
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"supervisor pid {gateway.proc.pid}" in status.stdout
    assert "unknown provider 'missing'" in status.stderr

    stats = _cli_without_state(gateway, "stats", "--config", str(config_path))
    assert "unknown provider 'missing'" in stats.stderr
    assert stats.returncode == 0, stats.stdout + stats.stderr
    assert "local" in stats.stdout  # named by the config the instance runs

    reload = _cli_without_state(gateway, "reload", "--config", str(config_path))
    assert reload.returncode == 2, reload.stdout + reload.stderr
    assert "refused" in reload.stderr
    assert "unknown provider 'missing'" in reload.stderr

    config_path.write_text(VALID_CONFIG.replace("timeout_s: 30", "timeout_s: 45"))
    accepted = _cli_without_state(gateway, "reload", "--config", str(config_path))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "accepted" in accepted.stdout
    unchanged = _cli_without_state(gateway, "reload", "--config", str(config_path))
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    assert "unchanged" in unchanged.stdout

    config_path.write_text("providers: [")
    stop = _cli_without_state(gateway, "stop", "--config", str(config_path))
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert gateway.proc.wait(10) == 0
    again = _cli_without_state(gateway, "stop", "--config", str(config_path))
    assert again.returncode == 1
    assert "not running" in again.stderr
