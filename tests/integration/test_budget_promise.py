"""Recorded spend stays within [what the upstream billed, the cap] against clients and upstreams
that do what real ones do: ask for ``n`` answers, give no output limit, write CJK and emoji,
leave a stream once they have the text, or never report usage.

One gateway with four workers serves every case; each case has its own provider (and model,
so the fake upstream's bill is per case) and, for key budgets, its own client key. The fake
upstream writes as much as it is allowed (8,000 tokens when given no limit), answers ``n``
choices, counts input with a tokenizer worse than any real one, and bills what it wrote,
including what it wrote for a client that had already left.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from coderouter_supervisor.state import LedgerEntry, state_admin
from coderouter_supervisor.supervisor.commands.keys import add_key
from coderouter_supervisor.worker.money import month_key

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Metered
from support.gateway_process import Gateway, run_cli, start_gateway
from support.ingress import events, wait_events

pytestmark = pytest.mark.integration

Row = Literal["n-choices", "no-max-tokens", "cjk-emoji", "client-leaves", "no-usage", "timeout"]
Ingress = Literal["anthropic", "openai", "responses"]
Kind = Literal["openai_compat", "anthropic"]
Budget = Literal["provider", "key"]

MAX_TOKENS = 200
# $100 in / $1,000 out per million tokens; the row without max_tokens writes 4,096-8,000 tokens,
# so its output is priced at $100 per million for a hold to fit the cap at all.
RATES: dict[Row, tuple[float, float]] = {
    "n-choices": (100.0, 1000.0),
    "no-max-tokens": (100.0, 100.0),
    "cjk-emoji": (100.0, 1000.0),
    "client-leaves": (100.0, 1000.0),
    "no-usage": (100.0, 1000.0),
    "timeout": (100.0, 1000.0),
}
CAP: dict[Row, float] = {row: (1.0 if row == "no-usage" else 3.0) for row in RATES}
# Requests sent at once per case: enough that the gateway before this fix overspent.
BURST: dict[Row, int] = {
    "n-choices": 4,
    "no-max-tokens": 8,
    "cjk-emoji": 8,
    "client-leaves": 4,
    "no-usage": 8,
    "timeout": 8,
}
SCRIPT: dict[Row, Metered] = {
    "n-choices": Metered(),
    "no-max-tokens": Metered(output_tokens=8_000, tokens_per_chunk=1_000),
    "cjk-emoji": Metered(),
    # The usage-bearing end of the stream comes long after the text: the client is gone by then.
    "client-leaves": Metered(tail_delay_s=5.0),
    "no-usage": Metered(omit_usage=True),
    # Answers after the provider's timeout: the gateway moves on to the case's next provider,
    # but the upstream had the request and bills it.
    "timeout": Metered(headers_delay_s=3.0),
}
SLOW_TIMEOUT_S = 1.0
NEXT = "-next"  # the provider after a timeout row's slow one
CJK_EMOJI = "漢字かなカナ한국어🙂🚀" * 300


@dataclass(frozen=True)
class Case:
    row: Row
    ingress: Ingress
    kind: Kind
    stream: bool
    budget: Budget

    @property
    def name(self) -> str:
        return f"{self.row}-{self.ingress}-{self.kind}-{'stream' if self.stream else 'whole'}-{self.budget}"

    @property
    def providers(self) -> list[str]:
        """The case's chain (a provider per case, so that its ledger and bill are its own)."""
        return [self.name, self.name + NEXT] if self.row == "timeout" else [self.name]


def _cases() -> list[Case]:
    cases = []
    for row in RATES:
        for ingress in ("anthropic", "openai", "responses"):
            if row == "n-choices" and ingress != "openai":
                continue  # only Chat Completions has ``n``
            if row == "no-max-tokens" and ingress == "anthropic":
                continue  # Anthropic requires max_tokens
            for kind in ("openai_compat", "anthropic"):
                for stream in (False, True):
                    if row == "client-leaves" and not stream:
                        continue
                    for budget in ("provider", "key"):
                        cases.append(Case(row, ingress, kind, stream, budget))  # type: ignore[arg-type]
    return cases


CASES = _cases()


@dataclass
class Promise:
    gateway: Gateway
    upstream: FakeUpstream
    state_db: Path
    keys: dict[str, str]  # case name (or "open", a key without budget) -> key


def _provider(case: Case, name: str, upstream: FakeUpstream) -> dict[str, Any]:
    rate_in, rate_out = RATES[case.row]
    cost: dict[str, Any] = {"input_tokens_per_million": rate_in, "output_tokens_per_million": rate_out}
    if case.budget == "provider":
        cost["monthly_budget_usd"] = CAP[case.row]
    base = upstream.anthropic_base_url if case.kind == "anthropic" else upstream.openai_base_url
    provider = {"name": name, "kind": case.kind, "base_url": base, "model": name, "cost": cost}
    if case.row == "timeout" and name == case.name:
        provider["timeout_s"] = SLOW_TIMEOUT_S
    return {**provider, "api_key_env": "ANTHROPIC_UPSTREAM_KEY"}


def _script(model: str) -> Metered:
    return Metered() if model.endswith(NEXT) else SCRIPT[_case_of(model).row]


@pytest.fixture(scope="module")
def promise(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Promise]:
    home = tmp_path_factory.mktemp("promise")
    state_db = home / "state" / "state.db"
    done = run_cli(home, "keys", "add", "open", "--state", str(state_db))
    assert done.returncode == 0, done.stderr
    keys = {"open": done.stdout.strip()}
    for index, case in enumerate(CASES):
        if case.budget == "key":
            keys[case.name] = add_key(
                state_db, f"capped{index}", budget=CAP[case.row], profiles=None, admin=False
            )
    with FakeUpstream() as upstream:
        upstream.responder = lambda request: _script(str(request.body["model"]))
        env = {"ANTHROPIC_UPSTREAM_KEY": "sk-test"}
        providers = [_provider(c, name, upstream) for c in CASES for name in c.providers]
        text = providers_yaml(providers, {c.name: c.providers for c in CASES})
        gateway = start_gateway(home, config_text=text, workers=4, env=env)
        try:
            yield Promise(gateway, upstream, state_db, keys)
        finally:
            gateway.shut_down()


def _case_of(model: str) -> Case:
    return next(case for case in CASES if case.name == model)


def _body(case: Case) -> dict[str, Any]:
    content = CJK_EMOJI if case.row == "cjk-emoji" else "Write as much as you may."
    if case.ingress == "responses":
        limit = {} if case.row == "no-max-tokens" else {"max_output_tokens": MAX_TOKENS}
        return {"model": "any", "input": content, "stream": case.stream, **limit}
    body: dict[str, Any] = {
        "model": "any",
        "messages": [{"role": "user", "content": content}],
        "stream": case.stream,
    }
    if case.row != "no-max-tokens":
        body["max_tokens"] = MAX_TOKENS
    if case.row == "n-choices":
        body["n"] = 8
    return body


def _headers(promise: Promise, case: Case) -> dict[str, str]:
    key = promise.keys[case.name if case.budget == "key" else "open"]
    auth = {"x-api-key": key} if case.ingress == "anthropic" else {"authorization": f"Bearer {key}"}
    return {**auth, "x-coderouter-profile": case.name}


def _leave_once_text_arrived(response: httpx.Response) -> None:
    """Read the stream until the answer's text is there, then hang up (Esc in Claude Code)."""
    seen = 0
    for line in response.iter_lines():
        seen += line.count("word")
        if seen >= MAX_TOKENS:
            return


def _one(promise: Promise, case: Case) -> int:
    path = {"anthropic": "/v1/messages", "openai": "/v1/chat/completions", "responses": "/v1/responses"}
    url = f"{promise.gateway.base_url}{path[case.ingress]}"
    with httpx.Client(timeout=60) as client:
        if case.row != "client-leaves":
            return client.post(url, json=_body(case), headers=_headers(promise, case)).status_code
        with client.stream("POST", url, json=_body(case), headers=_headers(promise, case)) as response:
            if response.status_code == 200:
                _leave_once_text_arrived(response)
            return response.status_code


def _billed(promise: Promise, case: Case, providers: list[str]) -> float:
    """What the fake upstream billed the case's ``providers``, in USD."""
    rate_in, rate_out = RATES[case.row]
    bills = [b for b in promise.upstream.bills if b.model in providers]
    return sum(b.input_tokens * rate_in + b.output_tokens * rate_out for b in bills) / 1_000_000


def _ledger(promise: Promise, entry: str) -> LedgerEntry:
    found = state_admin(promise.state_db).read_ledger(month_key(time.time()), (entry,))
    return found[0] if found else LedgerEntry(entry, month_key(time.time()))


def _settled(promise: Promise, entry: str, requests: int) -> LedgerEntry:
    """The ledger once ``requests`` attempts (or requests, for a key) have been recorded and no
    hold is left: a stream settles just after its last byte, and a hold can also vanish early
    (reclaimed from a worker the loaded machine let fall silent), which must not end the wait."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ledger = _ledger(promise, entry)
        if ledger.requests >= requests and not ledger.reservations:
            return ledger
        time.sleep(0.1)
    return ledger


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_recorded_spend_is_within_billed_and_cap(promise: Promise, case: Case) -> None:
    with ThreadPoolExecutor(max_workers=BURST[case.row]) as pool:
        statuses = list(pool.map(lambda _: _one(promise, case), range(BURST[case.row])))

    assert 200 in statuses, statuses
    # Refusals: key budget (429), no provider left (502; 504 when the last one tried timed out).
    assert set(statuses) <= {200, 429, 502, 504}, statuses
    if case.budget == "provider":
        ledgers = {name: [name] for name in case.providers}
    else:
        ledgers = {f"key:capped{CASES.index(case)}": case.providers}
    for entry, providers in ledgers.items():
        billed = _billed(promise, case, providers)
        # Every billed attempt is recorded, and a key records each request it admitted once.
        recorded = len([b for b in promise.upstream.bills if b.model in providers])
        ledger = _settled(
            promise, entry, recorded if case.budget == "provider" else len(statuses) - statuses.count(429)
        )
        assert ledger.reservations == 0
        assert ledger.spent_usd <= CAP[case.row] + 1e-9
        assert ledger.spent_usd >= billed - 1e-9, (
            f"{entry}: recorded {ledger.spent_usd:.4f} < billed {billed:.4f}"
        )
    bills = [b for b in promise.upstream.bills if b.model == case.name]
    if case.row == "timeout":
        assert len(bills) >= statuses.count(200) > 0
        estimated = wait_events(promise.gateway, "spend-estimated", len(bills), provider=case.name)
        assert {e["reason"] for e in estimated} == {"upstream-timeout"}
    else:
        assert len(bills) == statuses.count(200)
    if case.row == "no-max-tokens":
        # Without a limit from the client, the provider is sent the one its hold reserved.
        sent = {
            r.body.get("max_tokens") for r in promise.upstream.requests if r.body.get("model") == case.name
        }
        assert sent == {4096}
    if case.row in ("client-leaves", "no-usage"):
        estimated = events(promise.gateway, "spend-estimated", provider=case.name)
        assert len(estimated) == len(bills)
        reasons = {e["reason"] for e in estimated}
        if case.row == "client-leaves":
            assert reasons == {"client-left"}
        else:
            assert reasons == {"stream-without-usage" if case.stream else "answer-without-usage"}
