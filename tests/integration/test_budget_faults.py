"""Budgets when workers stall or die holding paid streams: four real workers, a $3 cap.

The fake upstream bills what it serves: every request that reaches it is answered (once the gate
opens) with the scripted usage, so the bill is that usage priced, times the requests it received.
Whatever happens to the workers, recorded spend must stay within [bill, cap], for a provider's
budget and for a client key's.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
import pytest

from coderouter_supervisor.state import DEAD_AFTER_S, LedgerEntry, state_admin
from coderouter_supervisor.worker.money import month_key

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Gate, Reply, Usage
from support.gateway_process import DEBUG_EVENTS, Gateway, run_cli, start_gateway
from support.ingress import IngressName, events, wait_events

pytestmark = pytest.mark.integration

BudgetKind = Literal["provider", "key"]

WORKERS = 4
CAP_USD = 3.0
PRICES = {"input_tokens_per_million": 100.0, "output_tokens_per_million": 1000.0}
MAX_TOKENS = 200
# The upstream writes every token it may (a hold is ~$0.20, and 14 fit under the cap) and counts
# one input token, so each request bills a little under its hold.
USAGE = Usage(input_tokens=1, output_tokens=MAX_TOKENS)
BILLED_PER_REQUEST = (USAGE.input_tokens * 100.0 + USAGE.output_tokens * 1000.0) / 1e6
STREAMS = 18  # more than the cap can hold, so the last are refused
CHAT = "/chat/completions"


@dataclass
class Faults:
    gateway: Gateway
    metered: FakeUpstream
    kind: BudgetKind
    key: str | None

    @property
    def ledger_name(self) -> str:
        return "metered" if self.kind == "provider" else "key:team"

    def ledger(self) -> LedgerEntry:
        [entry] = state_admin(self.gateway.state_db).read_ledger(month_key(time.time()), (self.ledger_name,))
        return entry

    def billed(self) -> float:
        return len(self.metered.calls(CHAT)) * BILLED_PER_REQUEST

    def post(self, ingress: IngressName, stream: bool) -> httpx.Response:
        messages = [{"role": "user", "content": "hello"}]
        body = {"model": "m", "max_tokens": MAX_TOKENS, "stream": stream, "messages": messages}
        if ingress == "anthropic":
            path, headers = "/v1/messages", {"anthropic-version": "2023-06-01"}
            if self.key is not None:
                headers["x-api-key"] = self.key
        else:
            path, headers = "/v1/chat/completions", {}
            if self.key is not None:
                headers["authorization"] = f"Bearer {self.key}"
        return httpx.post(f"{self.gateway.base_url}{path}", json=body, headers=headers, timeout=90)


def start(tmp_path: Path, stack: ExitStack, kind: BudgetKind) -> Faults:
    key = None
    if kind == "key":
        state_db = str(tmp_path / "state" / "state.db")
        added = run_cli(
            tmp_path, "keys", "add", "team", "--monthly-budget-usd", str(CAP_USD), "--state", state_db
        )
        assert added.returncode == 0, added.stderr
        key = added.stdout.strip()
    metered = stack.enter_context(FakeUpstream("metered-model"))
    backup = stack.enter_context(FakeUpstream("backup-model"))
    cost = {**PRICES, "monthly_budget_usd": CAP_USD} if kind == "provider" else PRICES
    text = providers_yaml(
        [
            {"name": "metered", "base_url": metered.openai_base_url, "model": "metered-model", "cost": cost},
            {"name": "backup", "base_url": backup.openai_base_url, "model": "backup-model"},
        ],
        {"paid": ["metered", "backup"]},
    )
    gateway = start_gateway(tmp_path, config_text=text, workers=WORKERS, env=DEBUG_EVENTS)
    stack.callback(lambda: _stop(gateway, metered))
    return Faults(gateway, metered, kind, key)


def _stop(gateway: Gateway, metered: FakeUpstream) -> None:
    metered.open_gate()
    for pid in gateway.worker_pids() if gateway.proc.poll() is None else ():
        os.kill(pid, signal.SIGCONT)
    gateway.shut_down()


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as resources:
        yield resources


def hold_streams(faults: Faults, stack: ExitStack, ingress: IngressName) -> list[Future[httpx.Response]]:
    """Start :data:`STREAMS` paid streams; return once each is either held at the (gated) upstream
    or refused for the budget."""
    faults.metered.reset(Gate(Reply(text="paid answer", usage=USAGE)))
    pool = stack.enter_context(ThreadPoolExecutor(max_workers=STREAMS))
    stack.callback(faults.metered.open_gate)  # before the pool waits for the streams, however the test ends
    futures = [pool.submit(faults.post, ingress, True) for _ in range(STREAMS)]
    faults.gateway.wait_until(
        lambda: (
            faults.metered.in_flight > 0
            and faults.metered.in_flight + sum(f.done() for f in futures) == STREAMS
        ),
        what="every stream held upstream or refused",
    )
    return futures


Held = tuple[Faults, list[Future[httpx.Response]]]


@pytest.fixture
def held(tmp_path: Path, stack: ExitStack, kind: BudgetKind, ingress: IngressName) -> Held:
    """A gateway whose ``kind`` of budget is as full as paid streams through ``ingress`` can make it."""
    faults = start(tmp_path, stack, kind)
    return faults, hold_streams(faults, stack, ingress)


def holds_by_worker(gateway: Gateway) -> Counter[int]:
    """Paid attempts admitted so far, by worker pid (tried, minus those its budget refused)."""
    tried = Counter(int(e["pid"]) for e in events(gateway, "try-provider", provider="metered"))
    tried.subtract(
        Counter(int(e["pid"]) for e in events(gateway, "skip-budget-exceeded", provider="metered"))
    )
    return +tried


def assert_within_bill_and_cap(faults: Faults) -> LedgerEntry:
    faults.gateway.wait_until(lambda: faults.ledger().reserved_usd == 0, what="every hold settled")
    entry = faults.ledger()
    assert entry.spent_usd <= CAP_USD
    assert entry.spent_usd >= faults.billed() - 1e-9, (entry, len(faults.metered.calls(CHAT)))
    return entry


def budgets_and_ingresses(*cases: tuple[BudgetKind, IngressName]) -> pytest.MarkDecorator:
    """Each budget kind over one ingress per test, the other ingress in the other test."""
    return pytest.mark.parametrize(
        ("kind", "ingress"), [pytest.param(kind, ingress, id=f"{kind}-{ingress}") for kind, ingress in cases]
    )


@budgets_and_ingresses(("provider", "anthropic"), ("key", "openai"))
def test_a_paused_worker_keeps_its_holds_and_settles_them_on_waking(held: Held, ingress: IngressName) -> None:
    faults, futures = held
    [(paused, held)] = holds_by_worker(faults.gateway).most_common(1)

    os.kill(paused, signal.SIGSTOP)
    with ThreadPoolExecutor(max_workers=held + 2) as pool:
        try:
            time.sleep(DEAD_AFTER_S + 2)  # its heartbeat is stale now
            faults.metered.open_gate()
            faults.gateway.wait_until(
                lambda: sum(f.done() for f in futures) == STREAMS - held, what="the other workers' streams"
            )
            # With the paused worker's holds standing, more paid requests fit only as far as the settled
            # streams cost less than they held. One that the paused worker accepted waits for it.
            wait([pool.submit(faults.post, ingress, False) for _ in range(held + 2)], timeout=15)
        finally:
            os.kill(paused, signal.SIGCONT)
    answers = [f.result() for f in futures]

    assert {a.status_code for a in answers} <= {200, 429}
    entry = assert_within_bill_and_cap(faults)
    assert entry.spent_usd == pytest.approx(faults.billed())  # every request settled at its real usage
    assert events(faults.gateway, "spend-estimated") == []  # nothing was reclaimed from the paused worker


@budgets_and_ingresses(("provider", "openai"), ("key", "anthropic"))
def test_streams_cut_by_a_sigkill_are_charged_at_their_holds(held: Held, ingress: IngressName) -> None:
    faults, futures = held
    holds = faults.ledger().reserved_usd / faults.metered.in_flight
    killed = holds_by_worker(faults.gateway).most_common(2)

    for pid, _ in killed:
        os.kill(pid, signal.SIGKILL)
    faults.gateway.wait_ready()
    faults.metered.open_gate()
    for future in futures:
        with suppress(httpx.HTTPError):  # a stream of a killed worker
            future.result()
    faults.post(ingress, False)  # the next reservation reclaims what the killed workers held

    cut = sum(count for _, count in killed)
    entry = assert_within_bill_and_cap(faults)
    estimates = events(faults.gateway, "spend-estimated", ledger=faults.ledger_name, reason="worker-gone")
    assert len(estimates) == cut
    assert all(e["cost_usd"] == pytest.approx(holds) for e in estimates)
    # Those requests reached the upstream: billed in full, and recorded at their (larger) holds.
    assert entry.spent_usd == pytest.approx(faults.billed() + cut * (holds - BILLED_PER_REQUEST))


def test_a_settle_after_budget_reset_cleared_its_hold_is_recorded_and_closes_the_month(
    tmp_path: Path, stack: ExitStack
) -> None:
    faults = start(tmp_path, stack, "provider")
    faults.metered.reset(Reply(text="paid answer", usage=USAGE))
    faults.metered.queue(Gate(Reply(text="late answer", usage=USAGE)))
    pool = stack.enter_context(ThreadPoolExecutor(max_workers=1))
    stack.callback(faults.metered.open_gate)
    late = pool.submit(faults.post, "anthropic", True)
    faults.gateway.wait_until(lambda: faults.metered.in_flight == 1, what="the stream held upstream")

    cleared = faults.gateway.cli("budget", "reset", "metered", "--yes")
    assert cleared.returncode == 0, cleared.stderr
    # Without the cleared hold, the month fills up to the cap with other requests.
    for _ in range(20):
        if faults.post("openai", False).headers["x-coderouter-provider"] != "metered":
            break
    before = faults.ledger()
    headroom = CAP_USD - before.spent_usd
    assert 0.05 < headroom < BILLED_PER_REQUEST  # too little for the late stream, room for small requests

    faults.metered.open_gate()
    assert late.result().status_code == 200
    [overrun] = wait_events(faults.gateway, "budget-overrun", ledger="metered")
    after = faults.ledger()
    assert after.spent_usd == pytest.approx(before.spent_usd + BILLED_PER_REQUEST) == overrun["spent_usd"]
    assert (overrun["monthly_budget_usd"], overrun["hold"]) == (CAP_USD, "gone")
    assert overrun["month"] == after.month
    # Closed for the month: even a request far smaller than the headroom there was is not tried.
    small = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    answer = httpx.post(f"{faults.gateway.base_url}/v1/chat/completions", json=small, timeout=30)
    assert answer.headers["x-coderouter-provider"] == "backup"
    assert len(faults.metered.calls(CHAT)) * BILLED_PER_REQUEST == pytest.approx(after.spent_usd)
