"""The two ways the gateway runs: one process (``--workers 1``) and gunicorn with several workers.

What a user sees must not depend on the mode: the same endpoints, the same stop and drain.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
import yaml

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply
from support.gateway_process import Gateway, descendants, start_gateway
from support.ingress import events, send, wait_events

pytestmark = pytest.mark.integration


def _config(upstream: FakeUpstream) -> str:
    return providers_yaml(
        [{"name": "local", "base_url": upstream.openai_base_url, "model": "m"}], {"main": ["local"]}
    )


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "gunicorn"])
def test_sigterm_lets_a_stream_in_flight_finish(tmp_path: Path, workers: int) -> None:
    with FakeUpstream() as upstream:
        upstream.reset(Reply(text="abc" * 20, chunk_chars=3, delay_s=0.1))  # about 2 s of stream
        gateway = start_gateway(tmp_path, config_text=_config(upstream), workers=workers)
        try:
            body = {
                "model": "m",
                "max_tokens": 50,
                "stream": True,
                "messages": [{"role": "user", "content": "hi"}],
            }
            text = ""
            with httpx.stream("POST", f"{gateway.base_url}/v1/messages", json=body, timeout=30) as response:
                assert response.status_code == 200
                lines = response.iter_lines()
                for line in lines:
                    if '"text_delta"' in line:
                        text += json.loads(line.removeprefix("data: "))["delta"]["text"]
                        break
                gateway.proc.send_signal(signal.SIGTERM)
                rest = list(lines)
            for line in rest:
                if '"text_delta"' in line:
                    text += json.loads(line.removeprefix("data: "))["delta"]["text"]
            assert text == "abc" * 20
            assert "event: message_stop" in rest
            assert gateway.proc.wait(20) == 0
            assert events(gateway, "supervisor-draining")[0]["signal"] == "SIGTERM"
        finally:
            if gateway.proc.poll() is None:
                gateway.kill_all()


def test_one_process_serves_the_supervisor_endpoint_and_aggregate_metrics(tmp_path: Path) -> None:
    with FakeUpstream() as upstream:
        gateway = start_gateway(tmp_path, config_text=_config(upstream), workers=1)
        try:
            assert descendants(gateway.proc.pid) == []
            assert send(gateway, "anthropic", False).status == 200
            assert send(gateway, "openai", True).status == 200
            wait_events(gateway, "request-completed", 2)

            status = httpx.get(f"{gateway.admin_url}/status", timeout=10).json()
            assert [w["pid"] for w in status["workers"]] == [gateway.proc.pid]
            assert status["supervisor_pid"] == gateway.proc.pid
            for base in (gateway.base_url, gateway.admin_url):
                counters = httpx.get(f"{base}/metrics.json", timeout=10).json()["counters"]
                assert counters["client_requests_total"] == 2
            started = wait_events(gateway, "supervisor-started")[0]
            assert started["mode"] == "single-process"
            assert started["workers"] == 1
        finally:
            assert gateway.terminate() == 0


def _commits_while_serving(gateway: Gateway, seconds: float, profile: str) -> int:
    """How many times the state file changed while free requests kept coming (a lower bound:
    commits closer together than one request count once)."""
    conn = sqlite3.connect(gateway.state_db)
    try:
        last = conn.execute("PRAGMA data_version").fetchone()[0]
        changes = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert send(gateway, "openai", False, profile=profile).status == 200
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            changes += version != last
            last = version
        return changes
    finally:
        conn.close()


@pytest.mark.parametrize("profile", ["default", "low_write"])
def test_low_write_spares_the_disk_but_never_defers_spend(tmp_path: Path, profile: str) -> None:
    with FakeUpstream() as free, FakeUpstream() as paid:
        text = providers_yaml(
            [
                {"name": "local", "base_url": free.openai_base_url, "model": "m"},
                {
                    "name": "cloud",
                    "base_url": paid.openai_base_url,
                    "model": "m",
                    "cost": {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0},
                },
            ],
            {"main": ["local"], "paid": ["cloud"]},
            supervisor={"profile": profile},
        )
        document = yaml.safe_load(text)
        document["profiles"][0]["adaptive"] = True  # so that latency observations are kept
        text = yaml.safe_dump(document)
        gateway = start_gateway(tmp_path, config_text=text, workers=1)
        try:
            changes = _commits_while_serving(gateway, 10.5, "main")
            with sqlite3.connect(gateway.state_db) as conn:
                observations = conn.execute("SELECT count(*) FROM adaptive_observation").fetchone()[0]
            if profile == "low_write":
                # One heartbeat and one metrics flush per 10 s, nothing per request.
                assert changes <= 4
                assert observations == 0
            else:
                assert changes >= 6  # a metrics flush and an observations flush every second
                assert observations > 0

            assert send(gateway, "anthropic", False, profile="paid").status == 200
            with sqlite3.connect(gateway.state_db) as conn:
                [(requests, spent)] = conn.execute("SELECT requests, spent_usd FROM budget_ledger").fetchall()
            assert requests == 1 and spent == pytest.approx((12 + 7) * 0.001)
        finally:
            gateway.terminate()
