"""The dashboard's history: real traffic through several workers, read back from ``/dashboard.json`` and
drawn by the page in headless Chromium, which asks nothing of any other host."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from support.chromium import page_requests, rendered_dom, screenshot
from support.fake_upstream import Failure, FakeUpstream, Reply, Usage
from support.gateway_process import Gateway, run_cli, start_gateway

pytestmark = pytest.mark.integration

# $1000 per million tokens: a reply of 3 in + 10 out costs $0.013.
PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0, "monthly_budget_usd": 2}


@dataclass
class Team:
    gateway: Gateway
    local: FakeUpstream
    cloud: FakeUpstream
    keys: dict[str, str]

    def send(self, key: str, profile: str, *, stream: bool = False) -> int:
        body = {
            "model": "m",
            "max_tokens": 10,
            "stream": stream,
            "messages": [{"role": "user", "content": "hi"}],
        }
        headers = {
            "x-api-key": self.keys[key],
            "anthropic-version": "2023-06-01",
            "x-coderouter-profile": profile,
        }
        response = httpx.post(f"{self.gateway.base_url}/v1/messages", json=body, headers=headers, timeout=30)
        return response.status_code

    def history(self, base_url: str | None = None) -> dict[str, Any]:
        response = httpx.get(f"{base_url or self.gateway.base_url}/dashboard.json", timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def add_key(tmp_path: Path, name: str, *options: str) -> str:
    (tmp_path / "home").mkdir(exist_ok=True)
    done = run_cli(tmp_path, "keys", "add", name, *options, "--state", str(tmp_path / "state" / "state.db"))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    keys = {"alice": add_key(tmp_path, "alice", "--monthly-budget-usd", "1"), "bob": add_key(tmp_path, "bob")}
    with FakeUpstream("local-model") as local, FakeUpstream("cloud-model") as cloud:
        document = {
            "default_profile": "main",
            "providers": [
                {"name": "local", "base_url": local.openai_base_url, "model": "local-model"},
                {"name": "cloud", "base_url": cloud.openai_base_url, "model": "cloud-model", "cost": PRICES},
            ],
            "profiles": [
                {"name": "main", "providers": ["local", "cloud"]},
                {"name": "paid", "providers": ["cloud"]},
            ],
        }
        gateway = start_gateway(tmp_path, config_text=yaml.safe_dump(document), workers=2)
        try:
            yield Team(gateway, local, cloud, keys)
        finally:
            gateway.shut_down()


def serve_traffic(team: Team) -> None:
    """alice: 6 answered by local (2 streamed), 2 paid; bob: 3 that fall back from local to cloud."""
    team.local.reset(Reply(text="local", usage=Usage(20, 5)))
    team.cloud.reset(Reply(usage=Usage(3, 10)))
    statuses = [team.send("alice", "main", stream=i < 2) for i in range(6)]
    statuses += [team.send("alice", "paid") for _ in range(2)]
    team.local.reset(Failure(500, "local down"))
    statuses += [team.send("bob", "main") for _ in range(3)]
    assert statuses == [200] * 11


def polylines(dom: str, chart: str) -> dict[str, int]:
    """The series drawn in chart ``chart`` and their point counts."""
    match = re.search(rf'<div id="{chart}">(.*?)</svg>', dom, re.S)
    assert match, f"#{chart} has no svg"
    return {
        name: int(points)
        for name, points in re.findall(
            r'<polyline[^>]*data-series="([^"]+)"[^>]*data-points="(\d+)"', match.group(1)
        )
    }


def drawn(values: list[float | None]) -> int:
    return sum(v is not None for v in values)


def _without_amount(sentence: str) -> str:
    """A projection's sentence up to its dollar figure, which moves as the month goes on: another
    command a few seconds later may round it differently."""
    return sentence.split("$", 1)[0]


def test_the_history_follows_real_traffic_and_names_each_key(team: Team) -> None:
    serve_traffic(team)
    time.sleep(1.5)  # one metric flush of every worker
    data = team.history()

    hour = data["hour"]
    assert len(hour["times"]) == 60 and hour["step_s"] == 60
    assert sum(hour["requests_per_s"]) * 60 == pytest.approx(11)
    assert sum(hour["fallbacks"]["http-500"]) == 3
    assert set(hour["latency_ms"]) == {"local", "cloud"} and set(hour["ttft_ms"]) == {"local"}
    assert all(v is None or 0 < v < 5_000 for v in hour["latency_ms"]["local"]["p50"])
    assert len(data["day"]["times"]) == 24

    month = data["month"]
    assert month["caps"] == {"cloud": 2.0}
    assert sum(month["spend_by_day"]["cloud"][-1:]) == pytest.approx(0.065)  # 5 paid replies of $0.013
    [cloud] = month["projections"]
    assert cloud["name"] == "cloud" and cloud["spent_usd"] == pytest.approx(0.065)
    assert "`cloud`" in cloud["sentence"]

    keys = {k["name"]: k for k in data["keys"]}
    assert (keys["alice"]["requests"], keys["bob"]["requests"]) == (8, 3)
    assert keys["alice"]["spent_usd"] == pytest.approx(0.026) and keys["alice"]["budget_usd"] == 1.0
    assert keys["bob"]["spent_usd"] == pytest.approx(0.039) and keys["bob"]["budget_usd"] is None
    assert keys["alice"]["input_tokens"] > 0
    assert "`alice`" in keys["alice"]["projection"]["sentence"]
    # The supervisor's own endpoint reads the same store.
    assert team.history(team.gateway.admin_url)["keys"] == data["keys"]

    listed = team.gateway.cli("keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert _without_amount(keys["alice"]["projection"]["sentence"]) in listed.stdout

    stats = team.gateway.cli("stats", "--json")
    assert stats.returncode == 0, stats.stderr
    as_json = json.loads(stats.stdout)
    # Read a moment later: the same months, with projections of that moment.
    assert [{**k, "projection": None} for k in as_json["keys"]] == [
        {**k, "projection": None} for k in data["keys"]
    ]
    assert [p["name"] for p in as_json["month"]["projections"]] == ["cloud"]
    assert sum(as_json["history"]["hour"]["requests_per_s"]) * 60 == pytest.approx(11)
    table = team.gateway.cli("stats")
    assert _without_amount(cloud["sentence"]) in table.stdout
    assert _without_amount(keys["bob"]["projection"]["sentence"]) in table.stdout


def test_stats_watch_draws_the_last_hour_as_sparklines(team: Team) -> None:
    serve_traffic(team)
    time.sleep(1.5)
    with pytest.raises(subprocess.TimeoutExpired) as watching:
        team.gateway.cli("stats", "--watch", timeout=5)
    raw = watching.value.stdout  # what it printed before the timeout killed it (bytes)
    frame = raw.decode() if isinstance(raw, bytes) else str(raw)
    assert "last hour, by minute:" in frame
    rps = next(line for line in frame.splitlines() if line.strip().startswith("requests/s "))
    assert rps.split()[1][-1] in "▁▂▃▄▅▆▇█" and len(rps.split()[1]) == 60
    assert "fallback http-500" in frame and "local p50" in frame


@pytest.mark.requires("chromium")
def test_every_chart_draws_its_series_and_the_page_stays_on_the_gateway(team: Team, tmp_path: Path) -> None:
    serve_traffic(team)
    time.sleep(1.5)
    data = team.history()
    url = f"{team.gateway.base_url}/dashboard"
    net_log = tmp_path / "netlog.json"

    dom = rendered_dom(url, net_log)

    hour = data["hour"]
    assert polylines(dom, "chart-rps") == {"requests/s": 60}
    assert polylines(dom, "chart-errors") == {"error rate": 60}
    latency = hour["latency_ms"]
    assert polylines(dom, "chart-latency") == {
        f"{provider} {q}": drawn(latency[provider][q]) for provider in latency for q in ("p50", "p95")
    }
    assert polylines(dom, "chart-latency")["local p50"] >= 1
    ttft = hour["ttft_ms"]
    assert polylines(dom, "chart-ttft") == {f"local {q}": drawn(ttft["local"][q]) for q in ("p50", "p95")}
    assert polylines(dom, "chart-fallbacks") == {"http-500": 60}
    today = time.gmtime(data["now"]).tm_mday
    assert polylines(dom, "chart-spend") == {"cloud": today}
    assert 'data-cap="cloud"' in dom
    assert "at this rate cloud" in dom or "cloud has reached" in dom
    assert re.search(r'<tr data-key="alice"><td>alice</td><td>active</td><td class="num">8</td>', dom)

    urls = page_requests(net_log, "http://127.0.0.1")
    assert {
        f"{team.gateway.base_url}/{path}" for path in ("dashboard", "metrics.json", "dashboard.json")
    } <= urls
    outside = {u for u in urls if not u.startswith(team.gateway.base_url + "/")}
    assert outside == set(), outside
    image = screenshot(url, "dashboard-history.png")
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 10_000


GRAFANA_DASHBOARD = Path(__file__).resolve().parents[2] / "examples" / "grafana-dashboard.json"


def test_every_metric_the_grafana_example_queries_is_exposed(team: Team) -> None:
    serve_traffic(team)
    time.sleep(1.5)
    scraped = httpx.get(f"{team.gateway.base_url}/metrics", timeout=10)
    assert scraped.status_code == 200
    exposed = {
        sample.name for family in text_string_to_metric_families(scraped.text) for sample in family.samples
    }
    panels = json.loads(GRAFANA_DASHBOARD.read_text())["panels"]
    queries = [target["expr"] for panel in panels for target in panel["targets"]]
    queried = {name for query in queries for name in re.findall(r"\bcoderouter_[a-z0-9_]+", query)}
    assert len(panels) >= 10 and len(queried) >= 10
    assert queried - exposed == set()
