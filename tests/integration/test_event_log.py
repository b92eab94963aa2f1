"""The event log across workers: request ids on every event, one JSONL file, no secrets."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply
from support.gateway_process import DEBUG_EVENTS, Gateway, start_gateway
from support.stack import CLIENT_KEY, PROVIDER_KEY

pytestmark = pytest.mark.integration


@dataclass
class Logged:
    gateway: Gateway
    upstream: FakeUpstream
    events_file: Path

    def records(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.events_file.read_text().splitlines()]


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Logged]:
    events_file = tmp_path / "logs" / "events.jsonl"
    with FakeUpstream("claude-fake") as upstream:
        config = providers_yaml(
            [
                {
                    "name": "claude",
                    "kind": "anthropic",
                    "base_url": upstream.anthropic_base_url,
                    "model": "claude-fake",
                    "api_key_env": "FAKE_ANTHROPIC_KEY",
                }
            ],
            {"default": ["claude"]},
            supervisor={"events_path": str(events_file)},
        )
        gateway = start_gateway(
            tmp_path,
            config_text=config,
            workers=4,
            env={"FAKE_ANTHROPIC_KEY": PROVIDER_KEY, **DEBUG_EVENTS},
        )
        try:
            yield Logged(gateway, upstream, events_file)
        finally:
            gateway.shut_down()


def ask(gateway: Gateway, request_id: str, *, stream: bool) -> httpx.Response:
    return httpx.post(
        f"{gateway.base_url}/v1/messages",
        headers={"x-api-key": CLIENT_KEY, "x-request-id": request_id},
        json={
            "model": "m",
            "max_tokens": 8,
            "stream": stream,
            "messages": [{"role": "user", "content": "hi"}],
        },
        timeout=30,
    )


def test_every_event_of_a_request_carries_its_id_in_one_shared_file(logged: Logged) -> None:
    logged.upstream.reset(Reply(text="ok"))
    ids = [f"req-{n:04d}" for n in range(200)]

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(lambda rid: ask(logged.gateway, rid, stream=rid.endswith(("0", "5"))), ids))

    assert [r.status_code for r in responses] == [200] * 200
    assert [r.headers["x-request-id"] for r in responses] == ids
    logged.gateway.wait_until(
        lambda: len({r.get("request_id") for r in logged.records() if r["event"] == "cache-observed"}) == 200,
        what="every request's cache-observed event in the file",
    )
    records = logged.records()  # every line parsed: no torn or interleaved lines
    by_request: dict[object, set[object]] = {}
    for record in records:
        if "request_id" in record:
            by_request.setdefault(record["request_id"], set()).add(record["event"])
    assert set(ids) <= set(by_request)
    assert all({"try-provider", "provider-ok", "cache-observed"} <= by_request[rid] for rid in ids)
    assert len({r["pid"] for r in records if r.get("request_id") in set(ids)}) >= 2
    assert {r["process"] for r in records} >= {"supervisor", "worker"}


def test_an_unsafe_request_id_is_replaced_and_secrets_never_logged(logged: Logged) -> None:
    response = ask(logged.gateway, 'x", "level": "error', stream=False)

    assert response.status_code == 200
    generated = response.headers["x-request-id"]
    assert len(generated) == 32 and generated.isalnum()
    logged.gateway.wait_until(
        lambda: any(r.get("request_id") == generated for r in logged.records()), what="the generated id"
    )
    for text in (logged.events_file.read_text(), logged.gateway.log()):
        assert PROVIDER_KEY not in text
        assert CLIENT_KEY not in text


@pytest.mark.parametrize("workers", [pytest.param(1, id="single-process"), pytest.param(2, id="gunicorn")])
def test_the_supervisors_own_events_reach_the_events_file(tmp_path: Path, workers: int) -> None:
    # The admin endpoint and the single-process gateway start uvicorn after the event file is open;
    # the supervisor's events from then on, up to its exit, must still land in the file.
    events_file = tmp_path / "events.jsonl"
    config = providers_yaml(
        [{"name": "local", "kind": "openai_compat", "base_url": "http://127.0.0.1:9/v1", "model": "m"}],
        {"default": ["local"]},
        supervisor={"events_path": str(events_file)},
    )
    gateway = start_gateway(tmp_path, config_text=config, workers=workers)
    assert gateway.terminate() == 0  # kills what is left if the drain does not end

    supervisor_events = [
        json.loads(line)["event"]
        for line in events_file.read_text().splitlines()
        if json.loads(line)["process"] == "supervisor"
    ]
    assert {
        "admin-endpoint-started",
        "supervisor-started",
        "supervisor-draining",
        "supervisor-stopped",
    } <= set(supervisor_events)
    assert "Logging error" not in gateway.log()


@pytest.mark.parametrize("workers", [pytest.param(1, id="single-process"), pytest.param(2, id="gunicorn")])
def test_every_line_is_a_json_event_and_an_open_public_bind_warns(tmp_path: Path, workers: int) -> None:
    # gunicorn's and uvicorn's own lines (boot, reload, worker exits, shutdown) included.
    def config(model: str) -> str:
        return providers_yaml(
            [{"name": "local", "kind": "openai_compat", "base_url": "http://127.0.0.1:9/v1", "model": model}],
            {"default": ["local"]},
        )

    gateway = start_gateway(
        tmp_path, "--host", "0.0.0.0", "--insecure-no-auth", config_text=config("m"), workers=workers
    )
    try:
        (tmp_path / "providers.yaml").write_text(config("changed"))
        gateway.proc.send_signal(signal.SIGHUP)
        gateway.wait_until(
            lambda: gateway.log().count('"worker-started"') >= 2 * workers or workers == 1,
            what="the reloaded workers",
        )
        gateway.wait_until(lambda: '"reload-accepted"' in gateway.log(), what="the reload")
        gateway.wait_ready()
        answer = httpx.post(
            f"{gateway.base_url}/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            timeout=30,
        )
        assert answer.status_code == 502  # nothing listens upstream: an error path, logged too
    finally:
        code = gateway.terminate()
    assert code == 0

    lines = gateway.log().splitlines()
    parsed = [json.loads(line) for line in lines]  # fails on the first plain-text line
    assert all(isinstance(record.get("event"), str) for record in parsed)
    if workers > 1:
        server_lines = [r for r in parsed if r["event"] == "server-log" and r["logger"] == "gunicorn.error"]
        (arbiter,) = {r["arbiter_pid"] for r in parsed if r["event"] == "supervisor-started"}
        assert {r["process"] for r in server_lines if r["pid"] == arbiter} == {"arbiter"}
        assert {r["process"] for r in server_lines if r["pid"] != arbiter} == {"worker"}  # "Booting worker"
    warnings = [r for r in parsed if r["event"] == "auth-off-beyond-loopback"]
    assert [(w["level"], w["bind"]) for w in warnings] == [("warning", f"0.0.0.0:{gateway.port}")]
