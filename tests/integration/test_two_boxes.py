"""Two gateway boxes on one PostgreSQL: two supervisors with two workers each, each box with its own
home directory and (in a UTS namespace) its own host name, as two machines behind a load balancer.

A burst at a capped provider through both boxes spends no more than the cap and exactly what the
upstream served; a key revoked on one box is refused by the other within a second; `stats` on
either box shows the same totals; `status` on either lists every box's workers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from coderouter_supervisor.state import HEARTBEAT_INTERVAL_S, LedgerEntry, state_admin
from coderouter_supervisor.worker.money import month_key

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Metered, Reply
from support.gateway_process import Gateway, as_another_machine, start_gateway
from support.postgres import PostgresServer
from support.postgres_databases import fresh_database, postgres

pytestmark = [pytest.mark.integration, pytest.mark.requires("postgresql")]
__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture

WORKERS = 2
REQUESTS = 200
CAP_USD = 3.0
RATES = {"input_tokens_per_million": 100.0, "output_tokens_per_million": 1000.0}
MAX_TOKENS = 50  # a hold is about $0.05: some 60 of the burst fit under the cap
REVOKED_WITHIN_S = 1.0
BOX_NAMES = ("box-a", "box-b")


@pytest.fixture
def boxes(
    tmp_path: Path, postgres: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[tuple[list[Gateway], FakeUpstream, str]]:
    url = fresh_database(postgres, request)
    with ExitStack() as stack:
        metered = stack.enter_context(FakeUpstream("capped-model"))
        metered.reset(Metered())
        free = stack.enter_context(FakeUpstream("free-model"))
        free.reset(Reply(text="free answer"))
        text = providers_yaml(
            [
                {
                    "name": "capped",
                    "base_url": metered.openai_base_url,
                    "model": "capped-model",
                    "cost": {**RATES, "monthly_budget_usd": CAP_USD},
                },
                {"name": "free", "base_url": free.openai_base_url, "model": "free-model"},
            ],
            {"default": ["capped", "free"]},
            allow_paid=True,
        )
        gateways: list[Gateway] = []
        for name in BOX_NAMES:
            home = tmp_path / name
            home.mkdir()
            gateway = start_gateway(
                home, config_text=text, workers=WORKERS, state=url, prefix=as_another_machine(name)
            )
            stack.callback(gateway.shut_down)
            gateways.append(gateway)
        yield gateways, metered, url


def ask(gateway: Gateway, key: str | None = None) -> httpx.Response:
    body = {"model": "m", "max_tokens": MAX_TOKENS, "messages": [{"role": "user", "content": "hello"}]}
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, headers=headers, timeout=120)


def ledger(url: str) -> LedgerEntry:
    found = state_admin(url).read_ledger(month_key(time.time()), ("capped",))
    return found[0] if found else LedgerEntry("capped", month_key(time.time()))


def billed(metered: FakeUpstream) -> tuple[int, float]:
    bills = [b for b in metered.bills if b.model == "capped-model"]
    usd = sum(b.input_tokens * RATES["input_tokens_per_million"] + b.output_tokens * 1000.0 for b in bills)
    return len(bills), usd / 1e6


def stats(gateway: Gateway) -> dict[str, Any]:
    done = gateway.cli("stats", "--json", "--config", str(gateway.cwd.parent / "providers.yaml"))
    assert done.returncode == 0, done.stderr
    counters: dict[str, Any] = json.loads(done.stdout)["counters"]
    return counters


def test_two_boxes_share_one_cap_keys_and_totals(boxes: tuple[list[Gateway], FakeUpstream, str]) -> None:
    gateways, metered, url = boxes
    # Each box's /healthz counts its own workers, not every box's on the shared server: once every
    # worker has beaten with all four registered, none answers more than its box's two.
    deadline = time.monotonic() + 2 * HEARTBEAT_INTERVAL_S
    counts: set[int] = set()
    while time.monotonic() < deadline:
        counts |= {int(g.healthz()["workers_alive"]) for g in gateways}
        time.sleep(0.05)
    assert max(counts) == WORKERS, counts

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answers = list(pool.map(lambda i: ask(gateways[i % 2]), range(REQUESTS)))

    assert {a.status_code for a in answers} == {200}
    served = [a.headers["x-coderouter-provider"] for a in answers]
    assert set(served) == {"capped", "free"}  # the cap turned the later ones to the free provider
    gateways[0].wait_until(lambda: ledger(url).reservations == 0, what="every hold settled")
    count, usd = billed(metered)
    entry = ledger(url)
    assert count == served.count("capped") == entry.requests
    assert entry.spent_usd <= CAP_USD
    assert entry.spent_usd == pytest.approx(usd, abs=1e-9)  # exactly what the upstream served

    # Both boxes' stats read the same totals once every worker flushed its counters.
    def same_totals() -> bool:
        first, second = (stats(g) for g in gateways)
        return first == second and first["client_requests_total"] == REQUESTS

    gateways[0].wait_until(same_totals, timeout=30, what="equal stats on both boxes")
    assert stats(gateways[1])["cost_total_usd"]["capped"] == pytest.approx(entry.spent_usd, abs=1e-6)

    # Either box's status lists all four workers, with the box each runs on.
    for gateway in gateways:
        status = gateway.cli("status")
        assert status.returncode == 0, status.stderr
        assert f"{2 * WORKERS} workers alive" in status.stdout
        rows = status.stdout.splitlines()[2:]
        assert sorted(row.split()[-1].split("/")[0] for row in rows) == sorted(BOX_NAMES * WORKERS)

    # A key revoked on one box is refused by the other within a second.
    added = gateways[0].cli("keys", "add", "team")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    gateways[1].wait_until(lambda: ask(gateways[1], key).status_code == 200, what="the key accepted")
    assert ask(gateways[1]).status_code == 401  # keys are in force on both boxes now
    revoked = gateways[0].cli("keys", "revoke", "team")
    assert revoked.returncode == 0, revoked.stderr
    revoked_at = time.monotonic()
    while ask(gateways[1], key).status_code == 200:
        assert time.monotonic() - revoked_at <= REVOKED_WITHIN_S + 1.0, "still accepted on the other box"
    assert ask(gateways[1], key).status_code == 401
