"""Faults of a PostgreSQL state under real workers: the server restarted mid-traffic, and a box
killed with SIGKILL mid-request while another box shares its budgets.

A restart degrades the gateway as an unusable state file does (free providers serve, budgeted ones
fail closed, ``/healthz`` says ``degraded``) until it reconnects by itself; settled spend survives.
The killed box runs in a UTS namespace of its own, so it is another machine to the surviving box
(another host name in its heartbeat rows): its holds are reclaimed by its stale heartbeat alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, suppress

import httpx
import pytest

from coderouter_supervisor.state import DEAD_AFTER_S, LedgerEntry, state_admin
from coderouter_supervisor.worker.money import month_key

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Gate, Reply, Usage
from support.gateway_process import Gateway, StartGateway, as_another_machine
from support.ingress import events, send
from support.postgres import PostgresServer, postgres_server
from support.postgres_databases import fresh_database, postgres
from support.state_faults import faults_config, wait_all_degraded, wait_all_ok

pytestmark = [pytest.mark.integration, pytest.mark.requires("postgresql")]
__all__ = ["postgres"]  # the session's PostgreSQL server, a fixture

WORKERS = 2
USAGE = Usage(input_tokens=3, output_tokens=5)
PRICE = (3 * 1.0 + 5 * 1.0) / 1e6  # faults_config's rates: $1 per million either way
# What a worker says in /healthz when the server is gone: the store's location, password masked.
SERVER_GONE = ("postgresql://",)


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own, to restart without disturbing the session's."""
    with postgres_server() as server:
        yield server


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream("paid-model") as fake:
        fake.reset(Reply(text="ok", usage=USAGE))
        yield fake


def ledger(location: str, name: str = "paid") -> LedgerEntry:
    found = state_admin(location).read_ledger(month_key(time.time()), (name,))
    return found[0] if found else LedgerEntry(name, month_key(time.time()))


def paid_calls(upstream: FakeUpstream) -> int:
    return sum(1 for call in upstream.calls() if call.body.get("model") == "paid-model")


class Traffic:
    """Requests sent back to back from a thread until :meth:`stop`; each answer's (status, provider)."""

    def __init__(self, gateway: Gateway) -> None:
        self.answers: list[tuple[int, str | None]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(gateway,), daemon=True)
        self._thread.start()

    def _run(self, gateway: Gateway) -> None:
        turn = 0
        while not self._stopping.is_set():
            answer = send(gateway, "anthropic" if turn % 2 else "openai", bool(turn % 3 == 0))
            self.answers.append((answer.status, answer.provider))
            turn += 1

    def served_by(self, provider: str) -> int:
        return sum(1 for _, p in self.answers if p == provider)

    def stop(self) -> list[tuple[int, str | None]]:
        self._stopping.set()
        self._thread.join(60)
        return self.answers


def test_a_restarted_server_degrades_to_free_providers_and_loses_no_settled_spend(
    gateway_factory: StartGateway, own_postgres: PostgresServer, upstream: FakeUpstream
) -> None:
    url = own_postgres.url()
    gateway = gateway_factory(config_text=faults_config(upstream), workers=WORKERS, state=url)
    traffic = Traffic(gateway)
    try:
        gateway.wait_until(lambda: traffic.served_by("paid") >= 10, what="paid traffic")
        before = ledger(url)

        own_postgres.stop()
        wait_all_degraded(gateway, SERVER_GONE)
        down_since = len(traffic.answers)
        answer = send(gateway, "openai", False)
        assert (answer.status, answer.provider) == (200, "free"), answer.raw
        assert answer.fallback_chain == "paid;skipped=state-unavailable, free;ok"
        refused = send(gateway, "anthropic", False, profile="paid-only")
        assert refused.status == 502  # fail closed: no budgeted attempt without its ledger
        gateway.wait_until(lambda: len(traffic.answers) >= down_since + 5, what="traffic while down")

        own_postgres.start()
        wait_all_ok(gateway)  # reconnected by itself: no worker was restarted for it
        served_again = traffic.served_by("paid")
        gateway.wait_until(lambda: traffic.served_by("paid") >= served_again + 10, what="paid again")
    finally:
        answers = traffic.stop()

    assert {status for status, _ in answers} == {200}, [a for a in answers if a[0] != 200]
    assert {provider for _, provider in answers} == {"paid", "free"}
    assert events(gateway, "state-recovered")
    # A settle that met the outage is retried at the next flush once the store is back: no hold is
    # left behind, and each late one is reported.
    gateway.wait_until(lambda: ledger(url).reservations == 0, what="every hold settled")
    after = ledger(url)
    # Nothing settled before the restart was lost, and every paid answer is on the ledger, once.
    assert after.spent_usd >= before.spent_usd and after.requests >= before.requests
    assert after.spent_usd >= paid_calls(upstream) * PRICE - 1e-12
    assert after.requests == traffic.served_by("paid")
    late = events(gateway, "spend-recorded-late", provider="paid")
    assert len(late) == len(events(gateway, "spend-not-recorded", provider="paid"))


CAP_USD = 1.0
HELD = 4
HOLD_TOKENS = 1000
RATES = {"input_tokens_per_million": 100.0, "output_tokens_per_million": 100.0, "monthly_budget_usd": CAP_USD}


def capped_config(upstream: FakeUpstream) -> str:
    provider = {"name": "paid", "base_url": upstream.openai_base_url, "model": "paid-model", "cost": RATES}
    return providers_yaml([provider], {"default": ["paid"]}, allow_paid=True)


def test_a_box_killed_mid_request_loses_no_settled_spend_and_its_holds_go_with_its_heartbeat(
    gateway_factory: StartGateway,
    postgres: PostgresServer,
    request: pytest.FixtureRequest,
    upstream: FakeUpstream,
) -> None:
    url = fresh_database(postgres, request)
    text = capped_config(upstream)
    doomed = gateway_factory(config_text=text, workers=WORKERS, state=url, prefix=as_another_machine("box-a"))
    survivor = gateway_factory(config_text=text, workers=WORKERS, state=url)
    body = {"model": "m", "max_tokens": HOLD_TOKENS, "messages": [{"role": "user", "content": "hi"}]}

    def post(gateway: Gateway) -> httpx.Response:
        return httpx.post(f"{gateway.base_url}/v1/chat/completions", json=body, timeout=60)

    assert post(doomed).status_code == 200  # settled before the kill: must stay
    settled = ledger(url)
    assert settled.requests == 1 and settled.reserved_usd == 0

    with ExitStack() as stack:
        upstream.reset(Gate(Reply(text="ok", usage=USAGE)))
        stack.callback(upstream.open_gate)
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=HELD))
        held: list[Future[httpx.Response]] = [pool.submit(post, doomed) for _ in range(HELD)]
        doomed.wait_until(lambda: upstream.in_flight == HELD, what="the doomed box's requests held upstream")
        holding = ledger(url)
        assert holding.reservations == HELD

        doomed.kill_all()
        killed_at = time.monotonic()
        for future in held:
            with suppress(httpx.HTTPError):
                future.result()
        upstream.open_gate()

        # The surviving box is another machine to it: the holds stand until its heartbeat is stale.
        upstream.reset(Reply(text="ok", usage=USAGE))
        assert post(survivor).status_code == 200
        assert time.monotonic() - killed_at < DEAD_AFTER_S - 1  # so its last heartbeat is fresh yet
        assert ledger(url).reservations == HELD
        survivor.wait_until(
            lambda: post(survivor).status_code == 200 and ledger(url).reservations == 0,
            timeout=DEAD_AFTER_S + 20,
            what="the killed box's holds reclaimed",
        )

    after = ledger(url)
    assert after.reserved_usd == 0
    # The settled request is kept, and each cut request is charged at its hold (what it could cost).
    assert after.spent_usd >= settled.spent_usd + holding.reserved_usd - 1e-9
    assert after.spent_usd <= CAP_USD
    estimates = events(survivor, "spend-estimated", ledger="paid", reason="worker-gone")
    assert len(estimates) == HELD
