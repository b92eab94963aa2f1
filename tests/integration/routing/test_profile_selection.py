"""Profile selection over HTTP: the auto router and mode aliases, the same on both ingresses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from .conftest import Lab, start_lab
from support.ingress import COMBINATIONS, IngressName, events, send
from support.stack import CLIENT_KEY

pytestmark = pytest.mark.integration

AUTO_ROUTER = {
    "rules": [
        {"id": "user:urgent", "profile": "fallback", "match": {"content_contains": "URGENT"}},
    ],
    "default_rule_profile": "loop-warn",
}


@pytest.fixture(scope="module")
def auto_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield start_lab(
            stack,
            tmp_path_factory.mktemp("auto"),
            default_profile="auto",
            auto_router=AUTO_ROUTER,
            mode_aliases={"quick": "dead-first"},
        )


@pytest.fixture
def lab(auto_lab: Lab) -> Lab:
    auto_lab.reset()
    return auto_lab


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_auto_router_rule_picks_the_profile(lab: Lab, ingress: IngressName, stream: bool) -> None:
    answer = send(
        lab.gateway, ingress, stream, messages=[{"role": "user", "content": "URGENT: prod is down"}]
    )

    assert answer.status == 200, answer.raw
    assert answer.headers["x-coderouter-profile"] == "fallback"
    assert answer.provider == "primary"
    resolved = events(lab.gateway, "auto-router-resolved", rule_id="user:urgent")
    assert resolved and resolved[-1]["resolved_profile"] == "fallback"
    assert resolved[-1]["signals"]["content_len"] == len("URGENT: prod is down")
    assert "prod is down" not in lab.gateway.log()  # signals, never the prompt


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_auto_router_falls_through_to_the_default_rule_profile(
    lab: Lab, ingress: IngressName, stream: bool
) -> None:
    before = len(events(lab.gateway, "auto-router-fallthrough"))

    answer = send(lab.gateway, ingress, stream, messages=[{"role": "user", "content": "write a haiku"}])

    assert answer.status == 200, answer.raw
    assert answer.headers["x-coderouter-profile"] == "loop-warn"
    assert answer.provider == "backup"
    after = events(lab.gateway, "auto-router-fallthrough")
    assert len(after) == before + 1 and after[-1]["resolved_profile"] == "loop-warn"


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_explicit_profile_beats_the_auto_router(lab: Lab, ingress: IngressName, stream: bool) -> None:
    answer = send(
        lab.gateway, ingress, stream, profile="dead-first", messages=[{"role": "user", "content": "URGENT"}]
    )

    assert answer.headers["x-coderouter-profile"] == "dead-first"
    assert answer.provider == "backup"


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_mode_alias_and_unknown_mode(lab: Lab, ingress: IngressName) -> None:
    path = "/v1/messages" if ingress == "anthropic" else "/v1/chat/completions"
    body = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"x-api-key": CLIENT_KEY, "x-coderouter-mode": "quick"}

    known = httpx.post(f"{lab.gateway.base_url}{path}", json=body, headers=headers, timeout=10)
    unknown = httpx.post(
        f"{lab.gateway.base_url}{path}",
        json=body,
        headers={**headers, "x-coderouter-mode": "slow"},
        timeout=10,
    )

    assert known.status_code == 200 and known.headers["x-coderouter-profile"] == "dead-first"
    assert events(lab.gateway, "mode-alias-resolved", mode="quick", profile="dead-first")
    assert unknown.status_code == 400
    error = unknown.json()["error"]
    assert "unknown mode 'slow'" in error["message"] and "quick" in error["message"]
    if ingress == "anthropic":
        assert unknown.json()["type"] == "error"
