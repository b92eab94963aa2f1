"""Metrics summed over every worker, from the gateway port, surviving a worker killed hard."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from coderouter_supervisor.state import SCHEMA_VERSION

from support.fake_upstream import Failure, FakeUpstream, Reply, Usage
from support.gateway_process import Gateway, start_gateway
from support.ingress import send

pytestmark = pytest.mark.integration

PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0, "monthly_budget_usd": 100}


@dataclass
class Metered:
    gateway: Gateway
    paid: FakeUpstream
    local: FakeUpstream

    def prometheus(self, base_url: str | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = httpx.get(f"{base_url or self.gateway.base_url}/metrics", timeout=10)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        samples = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    def json(self, base_url: str | None = None) -> dict[str, object]:
        response = httpx.get(f"{base_url or self.gateway.base_url}/metrics.json", timeout=10)
        assert response.status_code == 200
        body: dict[str, object] = response.json()
        return body


def total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


@pytest.fixture
def metered(tmp_path: Path) -> Iterator[Metered]:
    with FakeUpstream("paid-model") as paid, FakeUpstream("local-model") as local:
        document = {
            "default_profile": "main",
            "providers": [
                {"name": "local", "base_url": local.openai_base_url, "model": "local-model"},
                {"name": "cloud", "base_url": paid.openai_base_url, "model": "paid-model", "cost": PRICES},
            ],
            "profiles": [
                {"name": "main", "providers": ["local", "cloud"], "backend_health_threshold": 2},
            ],
        }
        gateway = start_gateway(tmp_path, config_text=yaml.safe_dump(document), workers=4)
        try:
            yield Metered(gateway, paid, local)
        finally:
            gateway.shut_down()


def test_client_requests_are_counted_once_across_workers_and_kills(metered: Metered) -> None:
    metered.local.reset(Reply(text="local", usage=Usage(20, 5)))
    n = 120

    def one(i: int) -> int:
        return send(metered.gateway, "openai" if i % 2 else "anthropic", i % 4 == 0).status

    with ThreadPoolExecutor(max_workers=30) as pool:
        assert set(pool.map(one, range(n))) == {200}
    time.sleep(1.5)  # one flush interval

    samples = metered.prometheus()
    assert total(samples, "coderouter_client_requests_total") == n
    assert total(samples, "coderouter_client_requests_total", ingress="anthropic", status="200") == n / 2
    assert total(samples, "coderouter_provider_attempts_total", provider="local") == n
    assert total(samples, "coderouter_input_tokens_total", provider="local") == 20 * n
    assert total(samples, "coderouter_request_duration_seconds_count", ingress="openai") == n / 2
    assert total(samples, "coderouter_provider_ttft_seconds_count", provider="local") == n / 4
    assert total(samples, "coderouter_upstream_latency_seconds_count", provider="local") == 3 * n / 4
    assert total(samples, "coderouter_workers_alive") == 4
    counters = metered.json()["counters"]
    assert isinstance(counters, dict) and counters["client_requests_total"] == n
    # The supervisor's own endpoint serves the same aggregate.
    admin = metered.gateway.admin_url
    assert total(metered.prometheus(admin), "coderouter_client_requests_total") == n
    assert metered.json(admin)["counters"]["client_requests_total"] == n  # type: ignore[index]

    victim = min(metered.gateway.worker_pids())
    os.kill(victim, signal.SIGKILL)
    metered.gateway.wait_until(
        lambda: victim not in metered.gateway.worker_pids(), what="a replacement worker"
    )
    assert total(metered.prometheus(), "coderouter_client_requests_total") == n
    assert total(metered.prometheus(admin), "coderouter_client_requests_total") == n
    assert metered.json(admin)["counters"]["client_requests_total"] == n  # type: ignore[index]


def test_the_supervisor_endpoint_answers_while_every_worker_is_replaced(metered: Metered) -> None:
    status = httpx.get(f"{metered.gateway.admin_url}/status", timeout=10).json()
    assert len(status["workers"]) == 4
    assert all(w["rss_bytes"] > 1_000_000 and w["uptime_s"] >= 0 for w in status["workers"])
    assert status["store"] == {
        "kind": "sqlite",
        "version": sqlite3.sqlite_version,
        "schema_version": SCHEMA_VERSION,
    }
    assert status["config"] == metered.gateway.healthz()["config"]

    for pid in metered.gateway.worker_pids():
        os.kill(pid, signal.SIGKILL)
    during = httpx.get(f"{metered.gateway.admin_url}/metrics", timeout=10)

    assert during.status_code == 200
    assert "coderouter_workers_alive" in during.text
    metered.gateway.wait_ready()


def test_spend_and_health_gauges_follow_what_happens(metered: Metered) -> None:
    metered.local.reset(Failure(500, "local backend down"))
    metered.paid.reset(Reply(usage=Usage(3, 10)))  # $0.013 a request

    for _ in range(4):
        assert send(metered.gateway, "anthropic", False, extra={"max_tokens": 10}).provider == "cloud"
    time.sleep(1.2)

    samples = metered.prometheus()
    assert total(samples, "coderouter_budget_spent_usd", provider="cloud") == pytest.approx(0.052)
    assert total(samples, "coderouter_budget_cap_usd", provider="cloud") == 100
    assert total(samples, "coderouter_cost_total_usd_total", provider="cloud") == pytest.approx(0.052)
    assert total(samples, "coderouter_backend_health_state", provider="local") == 2  # unhealthy at 2 x 2
    assert (
        total(samples, "coderouter_backend_health_transitions_total", provider="local", state="unhealthy")
        == 1
    )
    assert total(samples, "coderouter_fallbacks_total", reason="http-500") == 4
    assert total(samples, "coderouter_provider_outcomes_total", provider="local", outcome="failed") == 4
    providers = {p["name"]: p for p in metered.json()["providers"]}  # type: ignore[union-attr]
    assert providers["cloud"]["cost"]["total_usd"] == pytest.approx(0.052)
    assert "base_url" not in str(metered.json())

    table = metered.gateway.cli("stats")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("requests 4 (0 errors), attempts 8, workers alive 4")
    rows = {
        line.split()[0]: line.split() for line in table.stdout.splitlines()[2:] if line and line[0] != " "
    }
    assert rows["local"][1:5] == ["unhealthy", "4", "0", "4"]
    assert rows["cloud"][-2:] == ["0.0520", "100.00"]
    assert "main: local -> cloud" in table.stdout  # the unhealthy provider is not demoted (action: warn)
    assert "spent this month $0.0520" in table.stdout.splitlines()[0]
    reset = metered.gateway.cli("budget", "reset", "cloud", "--yes")
    assert reset.returncode == 0, reset.stderr
    after = metered.gateway.cli("stats")
    assert "spent this month $0.0000" in after.stdout.splitlines()[0]
