"""Every key through a whole run, upstreams echoing theirs back included: none leaks anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from .test_team_auth import add_key
from support.configs import providers_yaml
from support.fake_upstream import Failure, FakeUpstream, Reply
from support.gateway_process import start_gateway

pytestmark = pytest.mark.integration

ECHO_KEY = "sk-echo-provider-key-0123456789abcdef"
CLAUDE_KEY = "sk-ant-provider-key-fedcba9876543210"


def test_no_key_appears_in_logs_events_metrics_status_answers_or_other_upstreams(tmp_path: Path) -> None:
    alice = add_key(tmp_path, "alice")
    ops = add_key(tmp_path, "ops", "--admin")
    events_file = tmp_path / "events.jsonl"
    with FakeUpstream("echo") as echo, FakeUpstream("claude") as claude:
        # An OpenAI-style upstream that quotes the key it was sent, as OpenAI's own 401 does.
        echo.reset(Failure(401, f"Incorrect API key provided: {ECHO_KEY}", "invalid_request_error"))
        claude.reset(Reply(text="fine"))
        text = providers_yaml(
            [
                {"name": "echoer", "base_url": echo.openai_base_url, "model": "e", "api_key_env": "ECHO_KEY"},
                {
                    "name": "claude",
                    "kind": "anthropic",
                    "base_url": claude.anthropic_base_url,
                    "model": "claude-sonnet-4-6",
                    "api_key_env": "CLAUDE_KEY",
                },
            ],
            {"main": ["echoer", "claude"], "echo-only": ["echoer"], "claude-only": ["claude"]},
            supervisor={"events_path": str(events_file)},
        )
        env = {"ECHO_KEY": ECHO_KEY, "CLAUDE_KEY": CLAUDE_KEY}
        gateway = start_gateway(tmp_path, config_text=text, env=env, workers=2)
        answers: list[str] = []
        try:
            for stream in (False, True):
                for path in ("/v1/messages", "/v1/chat/completions"):
                    for profile in ("main", "echo-only"):
                        response = httpx.post(
                            f"{gateway.base_url}{path}",
                            headers={"x-api-key": alice, "x-coderouter-profile": profile},
                            json={
                                "model": "m",
                                "max_tokens": 8,
                                "stream": stream,
                                "messages": [{"role": "user", "content": "hi"}],
                            },
                            timeout=30,
                        )
                        answers.append(response.text)
                        assert response.status_code == (200 if profile == "main" else 502) or stream
            # A stream whose upstream fails mid-way, quoting its key in the error event.
            claude.queue(Reply(text="partial answer", error_after=3, error_message=f"bad key {CLAUDE_KEY}"))
            broken = httpx.post(
                f"{gateway.base_url}/v1/messages",
                headers={"x-api-key": alice, "x-coderouter-profile": "claude-only"},
                json={
                    "model": "m",
                    "max_tokens": 8,
                    "stream": True,
                    "messages": [{"role": "user", "content": "hi"}],
                },
                timeout=30,
            )
            answers.append(broken.text)
            assert "event: error" in broken.text
            gateway.wait_until(lambda: events_file.exists() and "provider-failed" in events_file.read_text())
            admin = {"x-api-key": ops}
            surfaces = {
                "answers": "\n".join(answers),
                "stderr": gateway.log(),
                "events file": events_file.read_text(),
                "metrics.json": httpx.get(f"{gateway.base_url}/metrics.json", headers=admin, timeout=10).text,
                "metrics": httpx.get(f"{gateway.base_url}/metrics", headers=admin, timeout=10).text,
                "status": httpx.get(f"{gateway.admin_url}/status", timeout=10).text,
                "check": gateway.cli("check", "--config", str(tmp_path / "providers.yaml")).stdout,
                "keys list": gateway.cli("keys", "list").stdout,
            }
        finally:
            gateway.terminate()

    assert "[redacted]" in surfaces["answers"]  # the echoes were there, and were cut
    for where, text_seen in surfaces.items():
        for secret in (ECHO_KEY, CLAUDE_KEY, alice, ops):
            assert secret not in text_seen, f"a key leaked into {where}"
    # Each provider's key went to that provider only; no client key went upstream.
    for call in echo.requests:
        sent = json.dumps(call.headers) + json.dumps(call.body)
        assert ECHO_KEY in call.headers.get("authorization", "")
        assert CLAUDE_KEY not in sent and alice not in sent and ops not in sent
    for call in claude.requests:
        sent = json.dumps(call.headers) + json.dumps(call.body)
        assert call.headers.get("x-api-key") == CLAUDE_KEY
        assert ECHO_KEY not in sent and alice not in sent and ops not in sent
