"""One info line per served request: ``request-completed`` names the provider that answered, its
latency and the request's cost when priced; the per-attempt events are logged at debug only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply, Usage
from support.gateway_process import DEBUG_EVENTS, Gateway, free_port, run_cli, start_gateway
from support.ingress import send, wait_events
from support.stack import PROVIDER_KEY

pytestmark = pytest.mark.integration

PER_ATTEMPT = ("try-provider", "provider-ok", "cache-observed")
# 1,000 tokens in and 100 out at $3 and $15 per million: $0.0045.
USAGE = Usage(input_tokens=1000, output_tokens=100)
COST_USD = 0.0045


def start(tmp_path: Path, upstream: FakeUpstream, env: dict[str, str]) -> Gateway:
    claude = {
        "kind": "anthropic",
        "base_url": upstream.anthropic_base_url,
        "model": "claude-sonnet-4-6",
        "api_key_env": "FAKE_ANTHROPIC_KEY",
    }
    config = providers_yaml(
        [
            {
                "name": "priced",
                **claude,
                "cost": {"input_tokens_per_million": 3, "output_tokens_per_million": 15},
            },
            {"name": "free", **claude},
        ],
        {"priced": ["priced"], "free": ["free"]},
    )
    return start_gateway(tmp_path, config_text=config, env={"FAKE_ANTHROPIC_KEY": PROVIDER_KEY, **env})


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream("claude-sonnet-4-6") as fake:
        fake.reset(Reply(text="ok", usage=USAGE))
        yield fake


def serve_four(gateway: Gateway) -> dict[tuple[str, bool], str]:
    """Request ids of a whole and a streamed answer from each profile, once each is logged as completed."""
    ids: dict[tuple[str, bool], str] = {}
    for profile in ("priced", "free"):
        for stream in (False, True):
            answer = send(gateway, "anthropic", stream, profile=profile)
            assert answer.status == 200, answer.raw
            ids[profile, stream] = answer.headers["x-request-id"]
    for request_id in ids.values():
        wait_events(gateway, "request-completed", request_id=request_id)
    return ids


def records(gateway: Gateway) -> list[dict[str, Any]]:
    """Every event the gateway's processes logged."""
    return [json.loads(line) for line in gateway.log().splitlines() if line.startswith("{")]


def test_at_the_default_level_a_request_logs_one_line_that_says_who_answered(
    tmp_path: Path, upstream: FakeUpstream
) -> None:
    gateway = start(tmp_path, upstream, {})
    try:
        ids = serve_four(gateway)
    finally:
        gateway.shut_down()

    for (profile, stream), request_id in ids.items():
        [line] = [r for r in records(gateway) if r.get("request_id") == request_id]
        assert line["event"] == "request-completed" and line["level"] == "info"
        assert line["provider"] == profile
        assert isinstance(line["latency_ms"], float) and 0 < line["latency_ms"] <= line["duration_ms"]
        assert line["cost_usd"] == (COST_USD if profile == "priced" else None), (profile, stream)
    assert not [r for r in records(gateway) if r["event"] in PER_ATTEMPT]


def test_at_debug_the_per_attempt_events_are_logged_too(tmp_path: Path, upstream: FakeUpstream) -> None:
    gateway = start(tmp_path, upstream, DEBUG_EVENTS)
    try:
        ids = serve_four(gateway)
        for request_id in ids.values():
            wait_events(gateway, "cache-observed", request_id=request_id)
    finally:
        gateway.shut_down()

    for (profile, stream), request_id in ids.items():
        by_event = {r["event"]: r for r in records(gateway) if r.get("request_id") == request_id}
        assert set(by_event) == {"request-completed", *PER_ATTEMPT}
        assert all(by_event[name]["level"] == "debug" for name in PER_ATTEMPT)
        completed, ok = by_event["request-completed"], by_event["provider-ok"]
        assert (completed["provider"], completed["latency_ms"]) == (profile, ok["latency_ms"])
        assert ok["stream"] is stream
        if profile == "priced":
            assert completed["cost_usd"] == by_event["cache-observed"]["cost_usd"] == COST_USD


def test_a_log_level_that_is_not_one_stops_the_start_by_name(tmp_path: Path) -> None:
    refused = run_cli(tmp_path, "start", "--port", str(free_port()), env={"CODEROUTER_LOG_LEVEL": "verbose"})

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "CODEROUTER_LOG_LEVEL='verbose': expected one of debug, info, warning" in refused.stderr
