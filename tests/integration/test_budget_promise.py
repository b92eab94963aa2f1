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

from coderouter_supervisor.state import LedgerEntry, read_ledger
from coderouter_supervisor.supervisor.keys_command import add_key
from coderouter_supervisor.worker.routing.facts import month_key

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Metered
from support.gateway_process import Gateway, run_cli, start_gateway
from support.ingress import events

pytestmark = pytest.mark.integration

Row = Literal["n-choices", "no-max-tokens", "cjk-emoji", "client-leaves", "no-usage"]
Ingress = Literal["anthropic", "openai"]
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
}
CAP: dict[Row, float] = {row: (1.0 if row == "no-usage" else 3.0) for row in RATES}
# Requests sent at once per case: enough that the gateway before this fix overspent.
BURST: dict[Row, int] = {
    "n-choices": 4,
    "no-max-tokens": 8,
    "cjk-emoji": 8,
    "client-leaves": 4,
    "no-usage": 8,
}
SCRIPT: dict[Row, Metered] = {
    "n-choices": Metered(),
    "no-max-tokens": Metered(output_tokens=8_000, tokens_per_chunk=1_000),
    "cjk-emoji": Metered(),
    # The usage-bearing end of the stream comes long after the text: the client is gone by then.
    "client-leaves": Metered(tail_delay_s=5.0),
    "no-usage": Metered(omit_usage=True),
}
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


def _cases() -> list[Case]:
    cases = []
    for row in RATES:
        for ingress in ("anthropic", "openai"):
            if row in ("n-choices", "no-max-tokens") and ingress == "anthropic":
                continue  # OpenAI-only fields
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


def _provider(case: Case, upstream: FakeUpstream) -> dict[str, Any]:
    rate_in, rate_out = RATES[case.row]
    cost: dict[str, Any] = {"input_tokens_per_million": rate_in, "output_tokens_per_million": rate_out}
    if case.budget == "provider":
        cost["monthly_budget_usd"] = CAP[case.row]
    base = upstream.anthropic_base_url if case.kind == "anthropic" else upstream.openai_base_url
    return {"name": case.name, "kind": case.kind, "base_url": base, "model": case.name, "cost": cost}


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
        upstream.responder = lambda request: SCRIPT[_case_of(request.body["model"]).row]
        env = {"ANTHROPIC_UPSTREAM_KEY": "sk-test"}
        providers = [{**_provider(c, upstream), "api_key_env": "ANTHROPIC_UPSTREAM_KEY"} for c in CASES]
        text = providers_yaml(providers, {c.name: [c.name] for c in CASES})
        gateway = start_gateway(home, config_text=text, workers=4, env=env)
        try:
            yield Promise(gateway, upstream, state_db, keys)
        finally:
            try:
                gateway.terminate()
            except Exception:
                gateway.kill_all()


def _case_of(model: str) -> Case:
    return next(case for case in CASES if case.name == model)


def _body(case: Case) -> dict[str, Any]:
    content = CJK_EMOJI if case.row == "cjk-emoji" else "Write as much as you may."
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
    path = "/v1/messages" if case.ingress == "anthropic" else "/v1/chat/completions"
    url = f"{promise.gateway.base_url}{path}"
    with httpx.Client(timeout=60) as client:
        if case.row != "client-leaves":
            return client.post(url, json=_body(case), headers=_headers(promise, case)).status_code
        with client.stream("POST", url, json=_body(case), headers=_headers(promise, case)) as response:
            if response.status_code == 200:
                _leave_once_text_arrived(response)
            return response.status_code


def _ledger(promise: Promise, entry: str) -> LedgerEntry:
    found = read_ledger(promise.state_db, month_key(time.time()), (entry,))
    return found[0] if found else LedgerEntry(entry, month_key(time.time()))


def _settled(promise: Promise, entry: str) -> LedgerEntry:
    """The ledger once every hold is settled (a stream whose client left settles just after)."""
    deadline = time.monotonic() + 20
    while (ledger := _ledger(promise, entry)).reservations and time.monotonic() < deadline:
        time.sleep(0.1)
    return ledger


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_recorded_spend_is_within_billed_and_cap(promise: Promise, case: Case) -> None:
    with ThreadPoolExecutor(max_workers=BURST[case.row]) as pool:
        statuses = list(pool.map(lambda _: _one(promise, case), range(BURST[case.row])))

    assert 200 in statuses, statuses
    assert set(statuses) <= {200, 429, 502}, statuses  # refusals: key budget, no provider left
    rate_in, rate_out = RATES[case.row]
    bills = [b for b in promise.upstream.bills if b.model == case.name]
    billed = sum(b.input_tokens * rate_in + b.output_tokens * rate_out for b in bills) / 1_000_000
    entry = case.name if case.budget == "provider" else f"key:capped{CASES.index(case)}"
    ledger = _settled(promise, entry)
    assert ledger.reservations == 0
    assert ledger.spent_usd <= CAP[case.row] + 1e-9
    assert ledger.spent_usd >= billed - 1e-9, f"recorded {ledger.spent_usd:.4f} < billed {billed:.4f}"
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
