"""An unusable state file degrades the gateway, never stops it: a full disk, a read-only file and a
deleted WAL, with the real supervisor and real workers, through worker restarts and SIGHUP.

Runs as root (as CI does): a small tmpfs holds the state file for the full disk, ``chattr +i`` makes
it read-only (root ignores mode bits). Both are undone even when a test fails (the tmpfs once the
gateway stopped).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.disk_faults import immutable, kept_full, mounted_tmpfs
from support.fake_upstream import FakeUpstream, Reply, Usage
from support.gateway_process import Gateway, run_cli, start_gateway
from support.ingress import events, send
from support.state_faults import faults_config, health_of_each, wait_all_degraded, wait_all_ok

pytestmark = pytest.mark.integration

WORKERS = 2
FULL = "database or disk is full"
# A write through a connection opened before `chattr +i` fails with an I/O error, one opened after
# with "readonly database"; which worker answers decides which one a request sees.
READ_ONLY = ("disk I/O error", "readonly database")


def change_config(tmp_path: Path) -> None:
    """Edit the config start_gateway wrote, so a SIGHUP has something to apply."""
    config_path = tmp_path / "providers.yaml"
    config_path.write_text(config_path.read_text() + "# changed\n")


@contextlib.contextmanager
def running(gateway: Gateway) -> Iterator[Gateway]:
    try:
        yield gateway
    finally:
        gateway.shut_down()


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream("paid-model") as fake:
        fake.reset(Reply(text="ok", usage=Usage(input_tokens=3, output_tokens=5)))
        yield fake


def replace_one_worker(gateway: Gateway) -> int:
    """SIGKILL a worker; return the pid of the replacement the arbiter started."""
    before = gateway.worker_pids()
    os.kill(min(before), signal.SIGKILL)
    fresh: set[int] = set()

    def replaced() -> bool:
        fresh.update(set(health_of_each(gateway)) - before)
        return bool(fresh)

    gateway.wait_until(replaced, what="a replacement worker serving")
    return fresh.pop()


def assert_serves_free_and_names_the_cause(gateway: Gateway, causes: tuple[str, ...]) -> None:
    for ingress in ("anthropic", "openai"):
        answer = send(gateway, ingress, False)
        assert (answer.status, answer.provider) == (200, "free"), answer.raw
        assert answer.fallback_chain == "paid;skipped=state-unavailable, free;ok"
    refused = send(gateway, "openai", False, profile="paid-only")
    assert refused.status == 502 and refused.error is not None
    message = str(refused.error["message"])
    assert "state file is unusable" in message and any(c in message for c in causes), message
    assert "(budget)" not in message
    assert events(gateway, "chain-state-unavailable") and not events(gateway, "chain-budget-exceeded")


def assert_recovered(gateway: Gateway) -> None:
    wait_all_ok(gateway)
    live = {w["pid"] for w in httpx.get(f"{gateway.admin_url}/status", timeout=5).json()["workers"]}
    assert set(health_of_each(gateway)) <= live  # every serving worker has its heartbeat row
    for _ in range(4):  # fresh connections: more than one worker
        answer = send(gateway, "anthropic", False)
        assert (answer.status, answer.provider) == (200, "paid"), answer.raw
    assert events(gateway, "state-recovered")


def test_a_full_disk_degrades_workers_new_ones_boot_and_room_brings_it_back(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    with contextlib.ExitStack() as stack:
        state_dir = stack.enter_context(mounted_tmpfs(tmp_path / "state", "4m"))
        gateway = stack.enter_context(
            running(start_gateway(tmp_path, config_text=faults_config(upstream), workers=WORKERS))
        )
        assert send(gateway, "anthropic", False).provider == "paid"
        with kept_full(state_dir):
            wait_all_degraded(gateway, (FULL,))
            assert_serves_free_and_names_the_cause(gateway, (FULL,))

            replacement = replace_one_worker(gateway)
            wait_all_degraded(gateway, (FULL,), pid=replacement)
            change_config(tmp_path)  # the snapshot for the workers cannot be written: refused, old one kept
            gateway.proc.send_signal(signal.SIGHUP)
            gateway.wait_until(lambda: events(gateway, "reload-refused"), what="the reload refused")
            assert "No space left on device" in str(events(gateway, "reload-refused")[-1]["error"])
            assert_serves_free_and_names_the_cause(gateway, (FULL,))
            assert gateway.proc.poll() is None

        assert_recovered(gateway)


def test_a_read_only_state_file_survives_a_worker_restart_and_sighup(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    with running(start_gateway(tmp_path, config_text=faults_config(upstream), workers=WORKERS)) as gateway:
        assert send(gateway, "anthropic", False).provider == "paid"
        wal = gateway.state_db.with_name(gateway.state_db.name + "-wal")
        with immutable(gateway.state_db, wal):
            wait_all_degraded(gateway, READ_ONLY)
            replacement = replace_one_worker(gateway)
            wait_all_degraded(gateway, READ_ONLY, pid=replacement)

            # A changed config: gunicorn replaces every worker, and each boots on the read-only file.
            old_pids = gateway.worker_pids()
            change_config(tmp_path)
            gateway.proc.send_signal(signal.SIGHUP)
            gateway.wait_until(lambda: events(gateway, "reload-accepted"), what="the reload accepted")
            gateway.wait_until(
                lambda: not set(health_of_each(gateway)) & old_pids, what="every worker replaced"
            )
            wait_all_degraded(gateway, READ_ONLY)
            assert_serves_free_and_names_the_cause(gateway, READ_ONLY)
            assert gateway.proc.poll() is None

        assert_recovered(gateway)


def test_a_deleted_wal_shows_in_healthz(tmp_path: Path, upstream: FakeUpstream) -> None:
    with running(start_gateway(tmp_path, config_text=faults_config(upstream), workers=1)) as gateway:
        assert send(gateway, "anthropic", False).provider == "paid"
        assert gateway.healthz()["status"] == "ok"

        gateway.state_db.with_name(gateway.state_db.name + "-wal").unlink()

        gateway.wait_until(
            lambda: (
                gateway.healthz()["status"] == "degraded"
                and "WAL file was deleted" in str(gateway.healthz()["state"])
            ),
            what="/healthz degraded by the deleted WAL",
        )


def test_a_key_budget_that_cannot_be_checked_leaves_only_free_providers(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    # One worker: single-process mode boots its gateway the same way.
    added = run_cli(
        tmp_path,
        "keys",
        "add",
        "team",
        "--monthly-budget-usd",
        "5",
        "--state",
        str(tmp_path / "state" / "state.db"),
    )
    assert added.returncode == 0, added.stderr
    team = {"authorization": f"Bearer {added.stdout.strip()}"}

    def ask(profile: str) -> httpx.Response:
        body = {"model": "m", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
        headers = {**team, "x-coderouter-profile": profile}
        return httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, headers=headers, timeout=30)

    with running(start_gateway(tmp_path, config_text=faults_config(upstream), workers=1)) as gateway:
        assert ask("paid-first").headers["x-coderouter-provider"] == "paid"
        wal = gateway.state_db.with_name(gateway.state_db.name + "-wal")
        with immutable(gateway.state_db, wal):
            wait_all_degraded(gateway, READ_ONLY)

            served = ask("paid-first")
            assert (served.status_code, served.headers["x-coderouter-provider"]) == (200, "free"), served.text
            assert served.headers["x-coderouter-fallback-chain"] == "paid;skipped=state-unavailable, free;ok"
            refused = ask("paid-only")
            assert refused.status_code == 502
            message = refused.json()["error"]["message"]
            assert "monthly budget" in message and "state file is unusable" in message, message

        wait_all_ok(gateway)
        assert ask("paid-first").headers["x-coderouter-provider"] == "paid"
