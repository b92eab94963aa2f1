"""Profile selection: pure tables over a parsed config."""

from __future__ import annotations

import pytest

from coderouter_supervisor.worker.config import CodeRouterConfig, parse_config
from coderouter_supervisor.worker.errors import InvalidRequest
from coderouter_supervisor.worker.routing import select_profile

CONFIG_TEXT = """
allow_paid: false
default_profile: coding
mode_aliases: {fast: quick}
providers:
  - {name: local, base_url: "http://127.0.0.1:11434/v1", model: qwen3-coder:30b}
  - {name: cloud, kind: anthropic, base_url: "https://api.anthropic.com", model: claude-x, paid: true}
  - {name: free, base_url: "https://openrouter.ai/api/v1", model: "qwen/qwen3-coder:free"}
profiles:
  - {name: coding, providers: [local, cloud, free]}
  - {name: quick, providers: [free]}
  - {name: paid-only, providers: [cloud]}
"""


def config(env: dict[str, str] | None = None, text: str = CONFIG_TEXT) -> CodeRouterConfig:
    return parse_config(text, "providers.yaml", env or {}).config


def _body(profile: object) -> dict[str, object]:
    return {
        "messages": [{"role": "user", "content": "hi"}],
        **({"profile": profile} if profile is not None else {}),
    }


@pytest.mark.parametrize(
    ("body_profile", "headers", "model", "expected"),
    [
        pytest.param(None, {}, "claude-sonnet-4-5", "coding", id="default"),
        pytest.param("quick", {"x-coderouter-profile": "coding"}, None, "quick", id="body-beats-header"),
        pytest.param(
            None, {"x-coderouter-profile": "quick", "x-coderouter-mode": "x"}, None, "quick", id="header"
        ),
        pytest.param(None, {"x-coderouter-mode": "fast"}, None, "quick", id="mode-alias"),
        pytest.param(None, {}, "paid-only", "paid-only", id="model-names-profile"),
        pytest.param(None, {"x-coderouter-mode": "fast"}, "paid-only", "quick", id="mode-beats-model"),
    ],
)
def test_select_profile(
    body_profile: object, headers: dict[str, str], model: str | None, expected: str
) -> None:
    assert (
        select_profile(config(), body=_body(body_profile), headers=headers, model=model).profile.name
        == expected
    )


@pytest.mark.parametrize(
    ("body_profile", "headers", "message"),
    [
        pytest.param(
            "nope", {}, "unknown profile 'nope' in the body; profiles: coding, quick, paid-only", id="body"
        ),
        pytest.param(None, {"x-coderouter-profile": "nope"}, "x-coderouter-profile header", id="header"),
        pytest.param(None, {"x-coderouter-mode": "slow"}, "unknown mode 'slow'; ", id="mode"),
        pytest.param(17, {}, "profile: must be a non-empty string", id="wrong-type"),
    ],
)
def test_unknown_profile_or_mode_lists_what_exists(
    body_profile: object, headers: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        select_profile(config(), body=_body(body_profile), headers=headers, model=None)
    assert message.split("; ", maxsplit=1)[0] in str(caught.value)


def test_unknown_mode_lists_modes() -> None:
    with pytest.raises(InvalidRequest, match="modes: fast"):
        select_profile(config(), body={}, headers={"x-coderouter-mode": "slow"}, model=None)


AUTO_TEXT = (
    CONFIG_TEXT.replace("default_profile: coding", "default_profile: auto")
    + """
auto_router:
  rules:
    - {id: "user:paid", profile: paid-only, match: {content_contains: "PAY"}}
  default_rule_profile: quick
"""
)


def test_mode_alias_is_reported() -> None:
    choice = select_profile(config(), body={}, headers={"x-coderouter-mode": "fast"}, model=None)
    assert (choice.profile.name, choice.mode, choice.auto) == ("quick", "fast", None)


@pytest.mark.parametrize(
    ("text", "profile", "rule"),
    [
        pytest.param("PAY me", "paid-only", "user:paid", id="rule"),
        pytest.param("hello", "quick", None, id="fallthrough"),
    ],
)
def test_auto_router_chooses_when_default_is_auto(text: str, profile: str, rule: str | None) -> None:
    body = {"messages": [{"role": "user", "content": text}]}
    choice = select_profile(config(text=AUTO_TEXT), body=body, headers={}, model=None)
    assert choice.profile.name == profile
    assert choice.auto is not None and choice.auto.rule_id == rule


def test_explicit_header_skips_the_auto_router() -> None:
    body = {"messages": [{"role": "user", "content": "PAY"}]}
    choice = select_profile(
        config(text=AUTO_TEXT), body=body, headers={"x-coderouter-profile": "coding"}, model=None
    )
    assert (choice.profile.name, choice.auto) == ("coding", None)


@pytest.mark.parametrize(
    ("text", "headers", "allowed", "expected", "from_key"),
    [
        pytest.param(CONFIG_TEXT, {}, ("quick", "paid-only"), "quick", True, id="default-not-allowed"),
        pytest.param(CONFIG_TEXT, {}, ("paid-only", "coding"), "coding", False, id="default-allowed"),
        pytest.param(CONFIG_TEXT, {}, None, "coding", False, id="no-limit"),
        pytest.param(
            CONFIG_TEXT, {"x-coderouter-profile": "paid-only"}, ("quick",), "paid-only", False, id="named"
        ),
        pytest.param(AUTO_TEXT, {}, ("paid-only",), "paid-only", True, id="auto-choice-not-allowed"),
        pytest.param(AUTO_TEXT, {}, ("quick",), "quick", False, id="auto-choice-allowed"),
    ],
)
def test_a_limited_key_that_names_no_profile_gets_its_first_allowed(
    text: str, headers: dict[str, str], allowed: tuple[str, ...] | None, expected: str, from_key: bool
) -> None:
    body = {"messages": [{"role": "user", "content": "hello"}]}
    choice = select_profile(config(text=text), body=body, headers=headers, model=None, allowed=allowed)
    assert (choice.profile.name, choice.from_key) == (expected, from_key)
