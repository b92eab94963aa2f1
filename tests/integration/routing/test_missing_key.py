"""A provider whose key variable is not set is skipped before anything is sent to it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply
from support.gateway_process import free_port, start_gateway
from support.ingress import events, send

pytestmark = pytest.mark.integration


def test_a_provider_without_its_key_is_skipped_with_the_variable_named(tmp_path: Path) -> None:
    with FakeUpstream() as keyed, FakeUpstream() as backup:
        backup.reset(Reply(text="from backup"))
        text = providers_yaml(
            [
                {
                    "name": "keyed",
                    "base_url": keyed.openai_base_url,
                    "model": "m",
                    "api_key_env": "KEYED_KEY",
                },
                {"name": "backup", "base_url": backup.openai_base_url, "model": "m"},
            ],
            {"main": ["keyed", "backup"], "keyed-only": ["keyed"]},
        )
        gateway = start_gateway(tmp_path, config_text=text)
        try:
            answer = send(gateway, "anthropic", False)
            assert answer.status == 200 and answer.text == "from backup"
            assert answer.fallback_chain is not None and "keyed;skipped=no-key" in answer.fallback_chain
            assert keyed.requests == []
            [skip] = events(gateway, "skip-missing-api-key")
            assert skip["api_key_env"] == "KEYED_KEY" and skip["provider"] == "keyed"

            refused = send(gateway, "openai", False, profile="keyed-only")
            assert refused.status == 502  # nothing was left to try
            assert refused.error is not None and "api_key_env" in refused.error["message"]
            assert refused.fallback_chain == "keyed;skipped=no-key"
            assert refused.headers.get("x-coderouter-profile") == "keyed-only"
            assert keyed.requests == []
        finally:
            gateway.terminate()


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_a_skipped_provider_shows_in_the_error_and_in_the_chains_now(tmp_path: Path, ingress: str) -> None:
    """The local backend is down and the cloud one has no key: the 502 lists both, and so does
    the live view of the chain, which would otherwise promise the keyless provider as a fallback."""
    text = providers_yaml(
        [
            {"name": "local", "base_url": f"http://127.0.0.1:{free_port()}/v1", "model": "m"},
            {"name": "cloud", "base_url": "http://127.0.0.1:9/v1", "model": "m", "api_key_env": "CLOUD_KEY"},
        ],
        {"main": ["local", "cloud"]},
    )
    gateway = start_gateway(tmp_path, config_text=text)
    try:
        refused = send(gateway, ingress, False)  # type: ignore[arg-type]
        assert refused.status == 502
        assert refused.headers.get("x-coderouter-profile") == "main"
        assert refused.fallback_chain == "cloud;skipped=no-key, local;failed=connect"

        metrics = httpx.get(f"{gateway.base_url}/metrics.json", timeout=10).json()
        [main] = [p for p in metrics["profiles"] if p["name"] == "main"]
        assert main["effective_order"] == ["local"]
        assert main["skipped"] == [{"provider": "cloud", "reason": "no-key"}]
        table = gateway.cli("stats")
        assert table.returncode == 0, table.stderr
        assert "  main: local   skipped: cloud (no-key)" in table.stdout.splitlines()
    finally:
        gateway.terminate()
