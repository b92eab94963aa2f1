"""A team gateway listening beyond loopback: client keys required, checked by every worker."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply, Usage
from support.gateway_process import Gateway, free_port, run_cli, start_gateway
from support.ingress import events, wait_events

pytestmark = pytest.mark.integration

ANY_ADDRESS = "0.0.0.0"  # listening on every interface; the tests still connect over loopback


@dataclass
class Team:
    gateway: Gateway
    upstream: FakeUpstream
    keys: dict[str, str]


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, *args, "--state", str(tmp_path / "state" / "state.db"))


def add_key(tmp_path: Path, name: str, *options: str) -> str:
    (tmp_path / "home").mkdir(exist_ok=True)
    done = cli(tmp_path, "keys", "add", name, *options)
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert key.startswith("crs-") and len(key) >= 36
    return key


def config(upstream: FakeUpstream) -> str:
    return providers_yaml(
        [{"name": "local", "base_url": upstream.openai_base_url, "model": "m"}],
        {"coding": ["local"], "chat": ["local"]},
    )


def test_refuses_to_listen_beyond_loopback_without_keys(tmp_path: Path) -> None:
    with FakeUpstream() as upstream:
        gateway = start_gateway(tmp_path, "--host", ANY_ADDRESS, config_text=config(upstream), wait=False)
        code = gateway.proc.wait(30)
    assert code == 2  # systemd's RestartPreventExitStatus=2: a restart cannot add a key
    assert "refusing to listen on 0.0.0.0 without client keys" in gateway.log()
    assert "keys add NAME" in gateway.log()
    assert "Traceback" not in gateway.log()


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    keys = {
        "alice": add_key(tmp_path, "alice"),
        "bob": add_key(tmp_path, "bob", "--profiles", "chat"),
    }
    with FakeUpstream() as upstream:
        upstream.reset(Reply(text="team answer"))
        gateway = start_gateway(tmp_path, "--host", ANY_ADDRESS, config_text=config(upstream), workers=4)
        try:
            yield Team(gateway, upstream, keys)
        finally:
            gateway.shut_down()


def post(team: Team, path: str, headers: dict[str, str]) -> httpx.Response:
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"{team.gateway.base_url}{path}", json=body, headers=headers, timeout=20)


@pytest.mark.parametrize("credential", ["none", "unknown"])
def test_requests_without_a_valid_key_get_401_in_each_protocol(team: Team, credential: str) -> None:
    headers = {} if credential == "none" else {"x-api-key": "crs-not-a-key"}

    messages = post(team, "/v1/messages", headers)
    chat = post(team, "/v1/chat/completions", {"authorization": "Bearer crs-not-a-key"} if headers else {})

    assert messages.status_code == 401
    assert messages.json()["type"] == "error"
    assert messages.json()["error"]["type"] == "authentication_error"
    assert chat.status_code == 401
    assert chat.json()["error"]["type"] == "authentication_error"
    assert team.upstream.requests == []


def test_a_valid_key_works_through_both_sdks_and_is_named_in_events(team: Team) -> None:
    claude = anthropic.Anthropic(base_url=team.gateway.base_url, api_key=team.keys["alice"], max_retries=0)
    agent = openai.OpenAI(base_url=f"{team.gateway.base_url}/v1", api_key=team.keys["alice"], max_retries=0)
    try:
        message = claude.messages.create(
            model="m", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
        completion = agent.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    finally:
        claude.close()
        agent.close()

    assert message.content[0].text == "team answer"  # type: ignore[union-attr]
    assert completion.choices[0].message.content == "team answer"
    assert len(wait_events(team.gateway, "request-completed", 2, key="alice", status=200)) == 2
    log = team.gateway.log()
    assert all(key not in log for key in team.keys.values())
    for call in team.upstream.requests:
        assert team.keys["alice"] not in str(call.headers)

    def alice_row() -> list[str]:
        listed = cli(team.gateway.state_db.parent.parent, "keys", "list").stdout
        return next(line.split() for line in listed.splitlines() if line.startswith("alice"))

    # Free traffic costs nothing but still counts: requests and tokens, within a flush interval.
    team.gateway.wait_until(lambda: alice_row()[4] == "2", 10, "alice's two requests in keys list")
    assert alice_row()[3:6] == ["0.0000", "2", str(2 * (12 + 7))]


def test_a_key_limited_to_some_profiles_gets_403_elsewhere(team: Team) -> None:
    bob = {"x-api-key": team.keys["bob"]}

    allowed = post(team, "/v1/messages", {**bob, "x-coderouter-profile": "chat"})
    refused = post(team, "/v1/messages", {**bob, "x-coderouter-profile": "coding"})

    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_error"
    assert "allowed: chat" in refused.json()["error"]["message"]

    # Naming no profile, bob is served by his own (the default, coding, is not his).
    unnamed = post(team, "/v1/messages", bob)
    assert unnamed.status_code == 200, unnamed.text
    assert unnamed.headers["x-coderouter-profile"] == "chat"
    assert events(team.gateway, "client-key-profile", key="bob", profile="chat")


def test_adding_a_key_says_loopback_callers_now_need_one_and_start_logs_it(tmp_path: Path) -> None:
    added = cli(tmp_path, "keys", "add", "alice")
    assert added.returncode == 0, added.stderr
    assert "from 127.0.0.1 too" in added.stderr and "401" in added.stderr
    with FakeUpstream() as upstream:
        upstream.reset(Reply(text="hi"))
        gateway = start_gateway(tmp_path, config_text=config(upstream))  # loopback, the default
        try:
            [notice] = events(gateway, "client-keys-required")
            assert notice["active_keys"] == 1 and notice["loopback_needs_key"] is True
            quick_start = post(Team(gateway, upstream, {}), "/v1/messages", {"x-api-key": "anything"})
            assert quick_start.status_code == 401
        finally:
            gateway.terminate()


def test_revocation_reaches_every_worker_within_a_second(team: Team) -> None:
    alice = {"x-api-key": team.keys["alice"]}
    assert post(team, "/v1/chat/completions", alice).status_code == 200
    workers = team.gateway.worker_pids()

    revoked = cli(team.gateway.state_db.parent.parent, "keys", "revoke", "alice")
    assert revoked.returncode == 0, revoked.stderr
    time.sleep(1.0)

    deadline = time.monotonic() + 30
    refused_by: set[int] = set()
    while not workers <= refused_by and time.monotonic() < deadline:
        answer = post(team, "/v1/messages", alice)
        assert answer.status_code == 401, answer.text
        assert "revoked" in answer.json()["error"]["message"]
        refused_by = {int(e["pid"]) for e in events(team.gateway, "request-completed", key=None, status=401)}
    assert workers <= refused_by
    listed = cli(team.gateway.state_db.parent.parent, "keys", "list")
    assert "alice" in listed.stdout and "revoked" in listed.stdout
    assert team.keys["alice"] not in listed.stdout


def test_loopback_gateway_without_keys_needs_none(tmp_path: Path) -> None:
    with FakeUpstream() as upstream:
        upstream.reset(Reply(text="open"))
        gateway = start_gateway(tmp_path, config_text=config(upstream), port=free_port())
        try:
            assert post(Team(gateway, upstream, {}), "/v1/messages", {}).status_code == 200
        finally:
            gateway.terminate()


def test_admin_pages_need_an_admin_key_when_asked_to(tmp_path: Path) -> None:
    alice = add_key(tmp_path, "alice")
    ops = add_key(tmp_path, "ops", "--admin")
    with FakeUpstream() as upstream:
        text = config(upstream) + "supervisor:\n  admin_requires_key: true\n"
        gateway = start_gateway(tmp_path, config_text=text, workers=2)
        try:
            for base in (gateway.base_url, gateway.admin_url):
                for path in ("/metrics", "/metrics.json", "/dashboard", "/dashboard.json"):
                    url = f"{base}{path}"
                    assert httpx.get(url, timeout=10).status_code == 401, url
                    assert httpx.get(url, headers={"x-api-key": alice}, timeout=10).status_code == 403, url
                    assert httpx.get(url, headers={"x-api-key": ops}, timeout=10).status_code == 200, url
            challenge = httpx.get(f"{gateway.base_url}/dashboard", timeout=10)
            assert challenge.headers["www-authenticate"].startswith("Basic")
            browser = httpx.get(f"{gateway.base_url}/dashboard", auth=("admin", ops), timeout=10)
            assert browser.status_code == 200 and "coderouter-supervisor" in browser.text
            assert (
                httpx.get(f"{gateway.admin_url}/status", auth=("admin", ops), timeout=10).status_code == 200
            )
            assert httpx.get(f"{gateway.admin_url}/status", timeout=10).status_code == 401
        finally:
            gateway.terminate()


def test_a_key_budget_holds_across_workers_and_restarts(tmp_path: Path) -> None:
    capped = add_key(tmp_path, "intern", "--monthly-budget-usd", "0.5")
    prices = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0}
    with FakeUpstream() as upstream:
        upstream.reset(Reply(text="paid", usage=Usage(3, 10)))  # $0.013 a request
        text = providers_yaml(
            [{"name": "cloud", "base_url": upstream.openai_base_url, "model": "m", "cost": prices}],
            {"main": ["cloud"]},
        )
        gateway = start_gateway(tmp_path, config_text=text, workers=4)
        try:
            body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}

            def one(i: int) -> int:
                path = "/v1/messages" if i % 2 else "/v1/chat/completions"
                return httpx.post(
                    f"{gateway.base_url}{path}", json=body, headers={"x-api-key": capped}, timeout=60
                ).status_code

            with ThreadPoolExecutor(max_workers=200) as pool:
                statuses = list(pool.map(one, range(220)))

            served = statuses.count(200)
            assert served + statuses.count(429) == 220
            assert 0 < served <= int(0.5 / 0.013)
            # Holds taken at worst case while 200 requests are in flight can refuse a request
            # that would have fitted; one at a time the rest of the budget fills exactly.
            for _ in range(int(0.5 / 0.013)):
                refused = httpx.post(
                    f"{gateway.base_url}/v1/messages", json=body, headers={"x-api-key": capped}, timeout=10
                )
                if refused.status_code != 200:
                    break
                served += 1
            assert refused.status_code == 429
            assert served <= int(0.5 / 0.013)
            assert len(upstream.requests) == served
            listed = gateway.cli("keys", "list")
            [row] = [line.split() for line in listed.stdout.splitlines() if line.startswith("intern")]
            assert float(row[3]) == pytest.approx(served * 0.013, abs=1e-4) and float(row[3]) <= 0.5
            assert row[4] == str(served)
            assert "monthly budget" in refused.json()["error"]["message"]
            # Nothing a retry can cure before the month ends: no retry, and no month-long wait.
            assert refused.headers["x-should-retry"] == "false"
            assert "retry-after" not in refused.headers

            assert gateway.terminate() == 0
            gateway = start_gateway(tmp_path, config_text=text, workers=2)
            again = [
                line.split()
                for line in gateway.cli("keys", "list").stdout.splitlines()
                if line.startswith("intern")
            ]
            assert again == [row]
        finally:
            if gateway.proc.poll() is None:
                gateway.terminate()


def test_keys_set_changes_a_budget_and_profiles_and_list_shows_them_unrounded(tmp_path: Path) -> None:
    state = ("--state", str(tmp_path / "state.db"))

    def alice() -> list[str]:
        listed = run_cli(tmp_path, "keys", "list", *state)
        assert listed.returncode == 0, listed.stderr
        # NAME STATE BUDGET SPENT REQUESTS TOKENS PROFILES ...
        return next(line.split() for line in listed.stdout.splitlines() if line.startswith("alice "))

    added = run_cli(tmp_path, "keys", "add", "alice", "--monthly-budget-usd", "0.001", *state)
    assert added.returncode == 0, added.stderr
    assert alice()[2] == "0.001"

    changed = run_cli(
        tmp_path, "keys", "set", "alice", "--monthly-budget-usd", "2.5", "--profiles", "coding, chat", *state
    )
    assert changed.returncode == 0, changed.stderr
    assert (alice()[2], alice()[6]) == ("2.5", "coding,chat")

    cleared = run_cli(
        tmp_path, "keys", "set", "alice", "--monthly-budget-usd", "none", "--profiles", "all", *state
    )
    assert cleared.returncode == 0, cleared.stderr
    assert (alice()[2], alice()[6]) == ("-", "all")

    for bad in (("--monthly-budget-usd", "-1"), ("--monthly-budget-usd", "lots"), ("--profiles", ",")):
        refused = run_cli(tmp_path, "keys", "set", "alice", *bad, *state)
        assert refused.returncode == 2, (bad, refused.stdout, refused.stderr)
    assert run_cli(tmp_path, "keys", "set", "bob", "--profiles", "all", *state).returncode == 1
