"""A client key's own limits (requests in flight, requests per minute), held across four workers,
and spent budgets, which the official SDKs must not retry."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from support.configs import providers_yaml
from support.fake_upstream import Failure, FakeUpstream, Gate, Reply
from support.gateway_process import Gateway, run_cli, start_gateway
from support.ingress import events

pytestmark = pytest.mark.integration

MESSAGES = "/v1/messages"
CHAT = "/v1/chat/completions"


@dataclass
class Limited:
    gateway: Gateway
    upstream: FakeUpstream
    keys: dict[str, str]


def add_key(tmp_path: Path, name: str, *options: str) -> str:
    done = run_cli(tmp_path, "keys", "add", name, *options, "--state", str(tmp_path / "state" / "state.db"))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Limited]:
    keys = {
        "burst": add_key(tmp_path, "burst", "--max-concurrent", "3"),
        "paced": add_key(tmp_path, "paced", "--requests-per-minute", "5"),
        "solo": add_key(tmp_path, "solo", "--max-concurrent", "1"),
        "free": add_key(tmp_path, "free"),
    }
    with FakeUpstream() as upstream:
        upstream.reset(Reply(text="limited answer"))
        text = providers_yaml(
            [{"name": "local", "base_url": upstream.openai_base_url, "model": "m"}], {"main": ["local"]}
        )
        gateway = start_gateway(tmp_path, config_text=text, workers=4)
        try:
            yield Limited(gateway, upstream, keys)
        finally:
            upstream.open_gate()
            gateway.shut_down()


def post(limited: Limited, path: str, key: str, *, stream: bool = False) -> httpx.Response:
    body = {"model": "m", "max_tokens": 8, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-api-key": key} if path == MESSAGES else {"authorization": f"Bearer {key}"}
    return httpx.post(f"{limited.gateway.base_url}{path}", json=body, headers=headers, timeout=60)


def refusal_message(path: str, answer: httpx.Response) -> str:
    """The message of a 429 in the ingress's own envelope (asserting its shape on the way)."""
    assert answer.status_code == 429, answer.text
    error: dict[str, Any] = answer.json()["error"]
    if path == MESSAGES:
        assert answer.json()["type"] == "error"
    assert error["type"] == "rate_limit_error"
    assert error["code"] == "key_rate_limited"
    return str(error["message"])


def test_a_concurrency_limit_holds_across_workers_and_frees_up_after(limited: Limited) -> None:
    upstream, burst = limited.upstream, limited.keys["burst"]
    upstream.reset(Gate(Reply(text="held")))  # every admitted request stays in flight until the gate opens
    paths = [MESSAGES if i % 2 else CHAT for i in range(20)]

    with ThreadPoolExecutor(max_workers=20) as pool:
        futures: list[Future[httpx.Response]] = [
            pool.submit(post, limited, path, burst, stream=i % 4 == 0) for i, path in enumerate(paths)
        ]
        limited.gateway.wait_until(
            lambda: sum(f.done() for f in futures) == 17 and upstream.in_flight == 3,
            what="17 refusals while 3 requests are held upstream",
        )
        refused = {i for i, f in enumerate(futures) if f.done()}
        for i in refused:
            answer = futures[i].result()
            assert "client key 'burst' is at its limit of 3 concurrent requests" in refusal_message(
                paths[i], answer
            )
            assert answer.headers["retry-after"] == "1"
        upstream.open_gate()
        served = [futures[i].result() for i in range(20) if i not in refused]

    assert [answer.status_code for answer in served] == [200, 200, 200]
    assert all("held" in answer.text for answer in served)
    assert upstream.max_in_flight == 3 and len(upstream.requests) == 3
    limit_events = events(limited.gateway, "key-rate-limited", key="burst")
    assert len(limit_events) == 17
    assert {(e["limit"], e["value"]) for e in limit_events} == {("max_concurrent", 3)}
    workers = {int(e["pid"]) for e in events(limited.gateway, "request-completed", key="burst")}
    assert len(workers) >= 2, "the burst should have been spread over several workers"

    # Every slot was given back (streamed and not): one after another, all are admitted again.
    upstream.reset(Reply(text="again"))
    again = [post(limited, path, burst, stream=i % 2 == 0) for i, path in enumerate(paths[:6])]
    assert [answer.status_code for answer in again] == [200] * 6
    assert len(events(limited.gateway, "key-rate-limited", key="burst")) == 17


def test_a_per_minute_limit_admits_exactly_n_then_429_in_each_protocol(limited: Limited) -> None:
    paced = limited.keys["paced"]
    paths = [MESSAGES if i % 2 else CHAT for i in range(12)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda i: post(limited, paths[i], paced, stream=i % 3 == 0), range(12)))

    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 5 and statuses.count(429) == 7, statuses
    assert len(limited.upstream.requests) == 5
    for path, answer in zip(paths, answers, strict=True):
        if answer.status_code == 429:
            message = refusal_message(path, answer)
            assert "client key 'paced' is at its limit of 5 requests per minute" in message
            assert paced not in message
            assert 1 <= int(answer.headers["retry-after"]) <= 60

    claude = anthropic.Anthropic(base_url=limited.gateway.base_url, api_key=paced, max_retries=0)
    agent = openai.OpenAI(base_url=f"{limited.gateway.base_url}/v1", api_key=paced, max_retries=0)
    try:
        with pytest.raises(anthropic.RateLimitError) as on_messages:
            claude.messages.create(model="m", max_tokens=8, messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.RateLimitError) as on_chat:
            agent.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    finally:
        claude.close()
        agent.close()
    for refused in (on_messages.value, on_chat.value):
        assert 1 <= int(refused.response.headers["retry-after"]) <= 60
        assert "5 requests per minute" in refused.message
    assert len(limited.upstream.requests) == 5

    limit_events = events(limited.gateway, "key-rate-limited", key="paced")
    assert len(limit_events) == 9
    assert {(e["limit"], e["value"]) for e in limit_events} == {("requests_per_minute", 5)}
    # Other keys are not affected, and keys without limits never are.
    assert post(limited, MESSAGES, limited.keys["free"]).status_code == 200
    assert post(limited, CHAT, limited.keys["burst"]).status_code == 200


def test_a_slot_is_given_back_however_the_request_ends(limited: Limited) -> None:
    upstream, solo = limited.upstream, limited.keys["solo"]
    upstream.queue(Reply(text="slow " * 40, chunk_chars=2, delay_s=0.25))  # ~25 s of stream

    # The client leaves in the middle of a stream.
    body = {"model": "m", "max_tokens": 8, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream(
        "POST", f"{limited.gateway.base_url}{MESSAGES}", json=body, headers={"x-api-key": solo}, timeout=30
    ) as streaming:
        assert streaming.status_code == 200
        chunks = streaming.iter_bytes()  # kept: a dropped iterator closes the response
        assert b"message_start" in next(chunks)
        assert post(limited, CHAT, solo).status_code == 429  # the stream holds the only slot
        assert b"text_delta" in next(chunks)
    limited.gateway.wait_until(
        lambda: post(limited, MESSAGES, solo).status_code == 200, what="the slot of the abandoned stream"
    )

    # The upstream cuts the stream; then it fails outright: each time the slot comes back.
    upstream.queue(Reply(text="cut off here", chunk_chars=2, drop_after=3))
    cut = post(limited, MESSAGES, solo, stream=True)
    assert cut.status_code == 200 and "event: error" in cut.text
    upstream.queue(Failure(500, "upstream broke"))
    assert post(limited, CHAT, solo).status_code == 502
    assert [post(limited, path, solo).status_code for path in (MESSAGES, CHAT)] == [200, 200]
    assert {e["limit"] for e in events(limited.gateway, "key-rate-limited", key="solo")} == {"max_concurrent"}


def key_rows(listing: str) -> dict[str, list[str]]:
    """``keys list`` rows by key name, split on whitespace (below the title and the header)."""
    return {row[0]: row for row in (line.split() for line in listing.splitlines()[2:])}


def test_keys_list_shows_the_limits_in_columns_after_the_existing_ones(limited: Limited) -> None:
    listed = limited.gateway.cli("keys", "list")
    assert listed.returncode == 0, listed.stderr
    header = next(line for line in listed.stdout.splitlines() if line.startswith("NAME"))
    assert header.split()[-2:] == ["CONCURRENT", "REQ/MIN"]
    rows = key_rows(listed.stdout)
    # NAME STATE BUDGET SPENT REQUESTS TOKENS PROFILES ADMIN CREATED(date time) CONCURRENT REQ/MIN
    assert rows["burst"][1] == "active" and rows["burst"][10:] == ["3", "-"]
    assert rows["paced"][10:] == ["-", "5"]
    assert rows["free"][10:] == ["-", "-"]

    changed = limited.gateway.cli("keys", "set", "free", "--max-concurrent", "2")
    assert changed.returncode == 0, changed.stderr
    lifted = limited.gateway.cli("keys", "set", "burst", "--max-concurrent", "none")
    assert lifted.returncode == 0, lifted.stderr
    rows = key_rows(limited.gateway.cli("keys", "list").stdout)
    assert rows["free"][10:] == ["2", "-"] and rows["burst"][10:] == ["-", "-"]
    assert limited.gateway.cli("keys", "set", "nobody", "--max-concurrent", "2").returncode != 0


# A spent budget is a refusal no retry can cure. Both SDKs obey ``x-should-retry`` first and sleep
# for whatever ``retry-after`` says, so a 429 saying "retry after the month ends" hangs them for
# weeks. Each call below runs with the SDK's default retries and must come back at once, having
# reached the gateway exactly once.
PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0}
# Far below one request's worst case ($0.001 a token): the first request is already refused.
TINY_BUDGET = 0.001
# A hung SDK would sleep for weeks; a healthy refusal returns in well under a second.
DEADLINE_S = 30.0


@dataclass
class Spent:
    gateway: Gateway
    upstream: FakeUpstream
    capped_key: str
    open_key: str


@pytest.fixture
def spent(tmp_path: Path) -> Iterator[Spent]:
    capped_key = add_key(tmp_path, "intern", "--monthly-budget-usd", str(TINY_BUDGET))
    open_key = add_key(tmp_path, "dev")
    with FakeUpstream() as upstream:
        upstream.reset(Reply(text="never"))
        text = providers_yaml(
            [
                {"name": "cloud", "base_url": upstream.openai_base_url, "model": "m", "cost": PRICES},
                {
                    "name": "capped",
                    "base_url": upstream.openai_base_url,
                    "model": "m",
                    "cost": {**PRICES, "monthly_budget_usd": TINY_BUDGET},
                },
            ],
            {"main": ["cloud"], "capped": ["capped"]},
        )
        gateway = start_gateway(tmp_path, config_text=text, workers=2)
        try:
            yield Spent(gateway, upstream, capped_key, open_key)
        finally:
            gateway.shut_down()


def refusal_of(call: Callable[[], object]) -> Exception:
    """The exception ``call`` raised, failing the test if it has not returned within the deadline
    (the thread is a daemon: a hung SDK does not hold up the test run)."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    assert not worker.is_alive(), f"the SDK was still retrying after {DEADLINE_S:g}s"
    assert outcome, "the request succeeded"
    assert isinstance(outcome[0], Exception)
    return outcome[0]


def anthropic_call(spent: Spent, key: str, profile: str) -> Callable[[], object]:
    def call() -> object:
        headers = {"x-coderouter-profile": profile}
        with anthropic.Anthropic(
            base_url=spent.gateway.base_url, api_key=key, default_headers=headers
        ) as client:
            return client.messages.create(
                model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )

    return call


def openai_call(spent: Spent, key: str, profile: str) -> Callable[[], object]:
    def call() -> object:
        headers = {"x-coderouter-profile": profile}
        base_url = f"{spent.gateway.base_url}/v1"
        with openai.OpenAI(base_url=base_url, api_key=key, default_headers=headers) as client:
            return client.chat.completions.create(
                model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )

    return call


def test_a_spent_key_budget_fails_fast_in_both_sdks(spent: Spent) -> None:
    refused = refusal_of(anthropic_call(spent, spent.capped_key, "main"))
    assert isinstance(refused, anthropic.RateLimitError)
    assert refused.response.headers["x-should-retry"] == "false"
    assert "retry-after" not in refused.response.headers
    assert "resets at the start of the next UTC month (in " in refused.message
    assert len(events(spent.gateway, "key-budget-exceeded")) == 1  # no retry reached the gateway

    refused = refusal_of(openai_call(spent, spent.capped_key, "main"))
    assert isinstance(refused, openai.RateLimitError)
    assert "retry-after" not in refused.response.headers
    assert "resets at the start of the next UTC month (in " in refused.message
    assert len(events(spent.gateway, "key-budget-exceeded")) == 2
    assert spent.upstream.requests == []


def test_a_spent_provider_budget_fails_fast_in_both_sdks(spent: Spent) -> None:
    refused = refusal_of(anthropic_call(spent, spent.open_key, "capped"))
    assert isinstance(refused, anthropic.APIStatusError)
    assert refused.response.headers["x-should-retry"] == "false"
    assert "next UTC month" in refused.message
    assert len(events(spent.gateway, "chain-budget-exceeded")) == 1

    refused = refusal_of(openai_call(spent, spent.open_key, "capped"))
    assert isinstance(refused, openai.APIStatusError)
    assert refused.response.headers["x-should-retry"] == "false"
    assert len(events(spent.gateway, "chain-budget-exceeded")) == 2
    assert spent.upstream.requests == []
