"""Facts every worker shares through the state file: budgets, cooldowns, health, adaptive order.

The real supervisor runs 4 workers; requests arrive on fresh connections so the workers share
them. A test that needs "another worker" keeps sending until the event it waits for comes from a
worker other than the one that made the change (a bounded number of tries).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from support.fake_upstream import Failure, FakeUpstream, Reply, Usage
from support.gateway_process import CLI, DEBUG_EVENTS, Gateway, start_gateway
from support.ingress import events, send, wait_events

pytestmark = pytest.mark.integration

WORKERS = 4
CAP_USD = 0.5
# $1000 per million tokens = $0.001 a token; the fake reports 3 in + 10 out = $0.013 a request.
PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0}
USAGE = Usage(input_tokens=3, output_tokens=10)
COST = 0.013
SMALL = {"max_tokens": 10}


@dataclass
class Shared:
    gateway: Gateway
    metered: FakeUpstream
    backup: FakeUpstream
    home: Path
    config_text: str

    def budget(self) -> dict[str, Any]:
        result = self.gateway.cli("budget", "--json")
        assert result.returncode == 0, result.stderr
        return {line["provider"]: line for line in json.loads(result.stdout)}


def shared_config(metered: FakeUpstream, backup: FakeUpstream) -> str:
    document = {
        "default_profile": "budget",
        "providers": [
            {
                "name": "metered",
                "base_url": metered.openai_base_url,
                "model": "metered-model",
                "cost": {**PRICES, "monthly_budget_usd": CAP_USD},
            },
            {"name": "local", "base_url": metered.openai_base_url, "model": "local-model"},
            {"name": "backup", "base_url": backup.openai_base_url, "model": "backup-model"},
        ],
        "profiles": [
            {"name": "budget", "providers": ["metered", "backup"]},
            {"name": "cooldown", "providers": ["local", "backup"], "memory_pressure_action": "skip"},
            {
                "name": "health",
                "providers": ["local", "backup"],
                "backend_health_action": "demote",
                "backend_health_threshold": 2,
            },
            {"name": "adaptive", "providers": ["local", "backup"], "adaptive": True},
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Shared]:
    with ExitStack() as stack:
        metered = stack.enter_context(FakeUpstream("metered-model"))
        backup = stack.enter_context(FakeUpstream("backup-model"))
        text = shared_config(metered, backup)
        gateway = start_gateway(tmp_path, config_text=text, workers=WORKERS, env=DEBUG_EVENTS)
        started = Shared(gateway, metered, backup, tmp_path, text)
        try:
            yield started
        finally:
            started.gateway.shut_down()


def served_by(gateway: Gateway, event: str, **match: object) -> set[int]:
    return {int(e["pid"]) for e in events(gateway, event, **match)}


def test_budget_cap_holds_across_workers_under_concurrency(shared: Shared) -> None:
    shared.metered.reset(Reply(text="metered", usage=USAGE))
    shared.backup.reset(Reply(text="backup"))

    def one(i: int) -> str | None:
        answer = send(shared.gateway, "openai" if i % 2 else "anthropic", i % 3 == 0, extra=SMALL, timeout=60)
        assert answer.status == 200, answer.raw
        return answer.provider

    with ThreadPoolExecutor(max_workers=200) as pool:  # 200 requests in flight at once
        providers = list(pool.map(one, range(240)))

    served_metered = providers.count("metered")
    assert served_metered + providers.count("backup") == 240
    assert 0 < served_metered <= int(CAP_USD / COST)
    ledger = shared.budget()["metered"]
    assert ledger["spent_usd"] <= CAP_USD
    assert ledger["spent_usd"] == pytest.approx(served_metered * COST)
    assert ledger["requests"] == served_metered
    assert ledger["reserved_usd"] == 0
    # Every worker took part and every one settled into the same ledger.
    assert len(served_by(shared.gateway, "cache-observed", provider="metered")) >= 2
    assert len(served_by(shared.gateway, "skip-budget-exceeded", provider="metered")) >= 2

    # Once the cap cannot fit another request, no worker tries the provider again.
    for _ in range(20):
        send(shared.gateway, "anthropic", False, extra=SMALL)
    spent = shared.budget()["metered"]["spent_usd"]
    # A hold is 16 + 8 + 5 input tokens (the request's bound) at the cache-write rate plus 10 out: $0.046.
    assert spent <= CAP_USD < spent + 0.046
    tail = [send(shared.gateway, "openai", False, extra=SMALL).provider for _ in range(12)]
    assert tail == ["backup"] * 12


def test_spend_survives_stop_and_start(shared: Shared) -> None:
    shared.metered.reset(Reply(usage=USAGE))
    for _ in range(3):
        assert send(shared.gateway, "anthropic", False, extra=SMALL).provider == "metered"
    before = shared.budget()["metered"]
    assert before["requests"] == 3

    assert shared.gateway.terminate() == 0
    shared.gateway = start_gateway(
        shared.home, config_text=shared.config_text, workers=WORKERS, env=DEBUG_EVENTS
    )

    after = shared.budget()["metered"]
    assert (after["spent_usd"], after["requests"]) == (before["spent_usd"], 3)
    assert send(shared.gateway, "openai", True, extra=SMALL).provider == "metered"
    assert shared.budget()["metered"]["requests"] == 4


def test_spend_before_a_sigkill_is_kept_and_the_cut_requests_hold_charged(shared: Shared) -> None:
    shared.metered.reset(Reply(usage=USAGE))
    for _ in range(2):
        assert send(shared.gateway, "anthropic", False, extra=SMALL).provider == "metered"
    settled = shared.budget()["metered"]["spent_usd"]
    shared.metered.queue(Reply(usage=USAGE, headers_delay_s=30))  # held mid-request

    hung = threading.Thread(
        target=lambda: _swallow(lambda: send(shared.gateway, "anthropic", False, extra=SMALL, timeout=40))
    )
    hung.start()
    shared.gateway.wait_until(lambda: shared.budget()["metered"]["reserved_usd"] > 0, what="a reservation")
    hold = shared.budget()["metered"]["reserved_usd"]
    for pid in shared.gateway.worker_pids():
        os.kill(pid, signal.SIGKILL)
    hung.join(45)
    shared.gateway.wait_ready()

    # The arbiter marked the killed workers exited, so the next reservation reclaims the hold at once;
    # the cut request reached the upstream, which may bill it: it is charged at the hold.
    shared.metered.reset(Reply(usage=USAGE))
    assert send(shared.gateway, "openai", False, extra=SMALL).provider == "metered"
    ledger = shared.budget()["metered"]
    assert ledger["reserved_usd"] == 0
    assert ledger["spent_usd"] == pytest.approx(settled + hold + COST)
    [estimate] = events(shared.gateway, "spend-estimated", ledger="metered")
    assert (estimate["reason"], estimate["cost_usd"]) == ("worker-gone", pytest.approx(hold))


def _swallow(call: Any) -> None:
    with suppress(httpx.HTTPError):
        call()


def until_every_worker(shared: Shared, profile: str, event: str, since: int) -> list[dict[str, Any]]:
    """Send requests (each answered by ``backup``) until every live worker has logged ``event``
    (counting events after the first ``since``); those events."""
    workers = shared.gateway.worker_pids()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = send(shared.gateway, "anthropic", False, profile=profile)
        assert (answer.status, answer.provider) == (200, "backup"), answer.raw
        found = events(shared.gateway, event)[since:]
        if workers <= {int(e["pid"]) for e in found}:
            return found
    raise AssertionError(f"not every worker of {workers} logged {event} within 30 s")


def test_an_out_of_memory_cools_the_provider_down_in_every_worker(shared: Shared) -> None:
    shared.metered.reset(Failure(500, "CUDA error: out of memory"))
    assert send(shared.gateway, "anthropic", False, profile="cooldown").provider == "backup"
    wait_events(shared.gateway, "memory-pressure-detected", provider="local")
    time.sleep(1.0)

    skipped = until_every_worker(shared, "cooldown", "skip-memory-pressure", 0)

    assert {e["provider"] for e in skipped} == {"local"}
    assert len(shared.metered.requests) == 1


def test_an_unhealthy_provider_is_demoted_by_every_worker_within_a_second(shared: Shared) -> None:
    shared.metered.reset(Failure(500, "backend down"))
    for _ in range(4):  # threshold 2: UNHEALTHY after 4 failures, counted across workers
        assert send(shared.gateway, "openai", False, profile="health").provider == "backup"
    wait_events(shared.gateway, "backend-health-changed", provider="local", new_state="unhealthy")
    time.sleep(1.0)

    demoted = until_every_worker(shared, "health", "demote-unhealthy-provider", 0)

    assert {e["provider"] for e in demoted} == {"local"}
    assert len(shared.metered.requests) == 4


def test_adaptive_order_uses_observations_from_every_worker(shared: Shared) -> None:
    shared.metered.reset(Failure(503, "overloaded"))
    for _ in range(5):
        assert send(shared.gateway, "anthropic", True, profile="adaptive").provider == "backup"
    failed = events(shared.gateway, "provider-failed", provider="local")
    local_failures = {
        pid: sum(int(e["pid"]) == pid for e in failed) for pid in {int(e["pid"]) for e in failed}
    }
    time.sleep(1.6)  # one flush interval and one cache lifetime

    applied = until_every_worker(shared, "adaptive", "adaptive-routing-applied", 0)

    # Every worker reordered, and at most one of them saw the 5 samples the error-rate rule needs
    # by itself: the others used the rest's observations.
    assert {tuple(e["effective_order"]) for e in applied} == {("backup", "local")}
    assert sum(count >= 5 for count in local_failures.values()) <= 1
    assert len(shared.metered.requests) == 5


def test_budget_command_shows_and_resets_the_month(shared: Shared) -> None:
    shared.metered.reset(Reply(usage=USAGE))
    for _ in range(2):
        send(shared.gateway, "anthropic", False, extra=SMALL)

    table = shared.gateway.cli("budget")
    assert table.returncode == 0, table.stderr
    [row] = [line.split() for line in table.stdout.splitlines() if line.startswith("metered")]
    assert row == ["metered", "0.0260", "0.0000", "0.5000", "0.4740", "2"]
    assert shared.gateway.cli("budget", "--month", "2020-01", "--json").stdout.strip() != ""
    assert shared.gateway.cli("budget", "--month", "2020-13").returncode == 2

    declined = subprocess.run(
        [*CLI, "budget", "reset", "metered", "--state", str(shared.gateway.state_db)],
        input="n\n",
        env=shared.gateway.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert declined.returncode == 1 and "Aborted" in declined.stderr
    assert shared.budget()["metered"]["requests"] == 2

    cleared = shared.gateway.cli("budget", "reset", "metered", "--yes")
    assert cleared.returncode == 0 and "0.0260 USD spent, 2 requests" in cleared.stdout
    assert shared.budget()["metered"]["spent_usd"] == 0


def test_a_broken_state_file_fails_closed_for_budgets_and_keeps_serving(shared: Shared) -> None:
    shared.metered.reset(Reply(usage=USAGE))
    assert send(shared.gateway, "anthropic", False, extra=SMALL).provider == "metered"
    broken = sqlite3.connect(shared.gateway.state_db)
    broken.execute("DROP TABLE budget_reservation")  # as good as a corrupt page, for our queries
    broken.commit()
    broken.close()

    degraded: list[dict[str, object]] = []
    for _ in range(40):
        answer = send(shared.gateway, "openai", False, extra=SMALL)
        assert (answer.status, answer.provider) == (200, "backup"), answer.raw
        health = shared.gateway.healthz()
        if health["status"] == "degraded":
            degraded.append(health)
            break

    assert degraded, "no worker reported the broken state file in /healthz"
    assert "budget_reservation" in str(degraded[0]["state"])
    assert events(shared.gateway, "state-unavailable")
    assert len(shared.metered.requests) == 1  # the budgeted provider is skipped, not tried unguarded


def test_a_client_that_leaves_before_the_answer_settles_the_hold_at_its_bound(shared: Shared) -> None:
    shared.metered.reset(Reply(usage=USAGE))
    # The upstream is still writing when the gateway learns the client left: its usage never arrives.
    # (An answer already whole in the gateway's read buffer is relayed and recorded at its real usage.)
    shared.metered.queue(Reply(usage=USAGE, headers_delay_s=2.5, delay_s=0.5))

    with pytest.raises(httpx.ReadTimeout):
        send(shared.gateway, "anthropic", True, extra=SMALL, timeout=1.0)
    shared.gateway.wait_until(lambda: shared.metered.requests, what="the upstream call")
    shared.gateway.wait_until(
        lambda: shared.budget()["metered"]["reserved_usd"] == 0, timeout=15, what="the hold settled"
    )
    # The request reached the upstream, which bills it ($0.013) whether or not the client stayed.
    assert shared.budget()["metered"]["spent_usd"] >= COST
    [estimated] = wait_events(shared.gateway, "spend-estimated", provider="metered")
    assert estimated["reason"] == "client-left"

    assert send(shared.gateway, "anthropic", True, extra=SMALL).provider == "metered"
    ledger = shared.budget()["metered"]
    assert ledger["reserved_usd"] == 0 and ledger["requests"] >= 1
