"""Everything providers.yaml may get wrong is rejected at load, located at the offending key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from coderouter_supervisor.worker.config import CodeRouterConfig, ConfigError, parse_config

Data = dict[str, Any]


def minimal() -> Data:
    return {
        "providers": [
            {"name": "ollama", "base_url": "http://127.0.0.1:11434/v1", "model": "qwen3-coder:30b"},
            {"name": "openrouter", "base_url": "https://openrouter.ai/api/v1", "model": "m:free"},
        ],
        "profiles": [{"name": "default", "providers": ["ollama", "openrouter"]}],
    }


def load(data: Data) -> CodeRouterConfig:
    return parse_config(yaml.safe_dump(data, sort_keys=False), "providers.yaml", {}).config


def rejection(data: Data) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(data)
    return caught.value


Mutation = Callable[[Data], None]


def _set(path: str, value: object) -> Mutation:
    """A mutation that sets ``value`` at a dotted path (``providers.0.timeout_s``) of the sample data."""

    def mutate(data: Data) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: Data) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return mutate


def _rules(*rules: Data, **router: object) -> Mutation:
    return _set("auto_router", {"rules": list(rules), **router})


def _rule(profile: str = "default", **match: object) -> Data:
    return {"id": "user:x", "profile": profile, "match": match}


REJECTIONS = [
    # Shape and unknown keys
    pytest.param(
        _set("colour", "red"), "colour", "unknown key (allowed here: allow_paid", id="top-unknown-key"
    ),
    pytest.param(_set("providers.0.timeot", 3), "providers[0].timeot", "did you mean 'timeout_s'", id="typo"),
    pytest.param(
        _set("providers.0.capabilities", {"tool": True}),
        "providers[0].capabilities.tool",
        "did you mean 'tools'",
        id="capability-typo",
    ),
    pytest.param(
        _set("providers.0.cost", {"budget": 1}),
        "providers[0].cost.budget",
        "unknown key",
        id="cost-unknown-key",
    ),
    pytest.param(
        _set("profiles.0.retries", 2), "profiles[0].retries", "unknown key", id="profile-unknown-key"
    ),
    pytest.param(
        _set("supervisor", {"colour": "x"}), "supervisor.colour", "allowed here: host, port", id="sup-key"
    ),
    pytest.param(_rules(_rule(has_tools=True), extra=1), "auto_router.extra", "unknown key", id="router-key"),
    pytest.param(
        _rules({**_rule(has_tools=True), "if": {}}), "auto_router.rules[0].if", "unknown key", id="rule-key"
    ),
    pytest.param(
        _rules(_rule(has_tool=True)), "auto_router.rules[0].match.has_tool", "did you mean", id="matcher-key"
    ),
    pytest.param(
        _delete("providers.0.model"), "providers[0].model", "required key is missing", id="no-model"
    ),
    pytest.param(_delete("providers.0.base_url"), "providers[0].base_url", "required", id="no-base-url"),
    pytest.param(_delete("providers.0.name"), "providers[0].name", "required", id="no-provider-name"),
    pytest.param(_delete("providers"), "providers", "required key is missing", id="no-providers"),
    pytest.param(_delete("profiles"), "profiles", "required key is missing", id="no-profiles"),
    pytest.param(_set("providers", []), "providers", "must list at least one entry", id="empty-providers"),
    pytest.param(_set("profiles", []), "profiles", "must list at least one entry", id="empty-profiles"),
    pytest.param(_set("profiles.0.providers", []), "profiles[0].providers", "at least one", id="empty-chain"),
    pytest.param(
        _set("providers", {"a": 1}), "providers", "must be a list (got a mapping)", id="providers-map"
    ),
    pytest.param(
        _set("providers.0", "ollama"), "providers[0]", "must be a mapping (got 'ollama')", id="provider-str"
    ),
    pytest.param(_set("providers.0.name", ""), "providers[0].name", "must not be empty", id="empty-name"),
    pytest.param(
        _set("providers.0.model", 5), "providers[0].model", "must be a string (got 5)", id="model-int"
    ),
    # Ranges and closed choices
    pytest.param(
        _set("providers.0.timeout_s", 0.5),
        "providers[0].timeout_s",
        "must be between 1 and 600 (got 0.5)",
        id="provider-timeout-low",
    ),
    pytest.param(
        _set("providers.0.timeout_s", 601),
        "providers[0].timeout_s",
        "between 1 and 600",
        id="provider-timeout-high",
    ),
    pytest.param(
        _set("providers.0.timeout_s", "soon"),
        "providers[0].timeout_s",
        "must be a number",
        id="provider-timeout-text",
    ),
    pytest.param(
        _set("providers.0.paid", "maybe"), "providers[0].paid", "must be true or false", id="paid-not-bool"
    ),
    pytest.param(
        _set("providers.0.kind", "gemini"),
        "providers[0].kind",
        "must be 'openai_compat', 'anthropic' or 'openai_responses' (got 'gemini')",
        id="kind",
    ),
    pytest.param(
        _set("providers.0.capabilities", {"reasoning_control": "x"}),
        "providers[0].capabilities.reasoning_control",
        "'provider_specific'",
        id="reasoning-control",
    ),
    pytest.param(
        _set("providers.0.capabilities", {"mcp": "openai"}),
        "providers[0].capabilities.mcp",
        "'anthropic'",
        id="mcp",
    ),
    pytest.param(
        _set("providers.0.capabilities", {"vision": []}),
        "providers[0].capabilities.vision",
        "must be true or false",
        id="capability-not-bool",
    ),
    pytest.param(
        _set("providers.0.cost", {"input_tokens_per_million": -1}),
        "providers[0].cost.input_tokens_per_million",
        "must be at least 0 (got -1)",
        id="cost-input",
    ),
    pytest.param(
        _set("providers.0.cost", {"output_tokens_per_million": -0.1}),
        "providers[0].cost.output_tokens_per_million",
        "at least 0",
        id="cost-output",
    ),
    pytest.param(
        _set("providers.0.cost", {"cache_read_discount": 1.5}),
        "providers[0].cost.cache_read_discount",
        "between 0 and 1 (got 1.5)",
        id="cache-discount",
    ),
    pytest.param(
        _set("providers.0.cost", {"cache_creation_premium": -1}),
        "providers[0].cost.cache_creation_premium",
        "at least 0",
        id="cache-premium",
    ),
    pytest.param(
        _set("providers.0.cost", {"monthly_budget_usd": -5}),
        "providers[0].cost.monthly_budget_usd",
        "at least 0",
        id="budget",
    ),
    pytest.param(
        _set("providers.0.output_filters", ["strip_thinking", "strip_emoji"]),
        "providers[0].output_filters[1]",
        "must be 'strip_thinking' or 'strip_stop_markers' (got 'strip_emoji')",
        id="output-filter",
    ),
    pytest.param(
        _set("providers.0.extra_body", [1]),
        "providers[0].extra_body",
        "must be a mapping",
        id="extra-body-list",
    ),
    pytest.param(
        _set("profiles.0.timeout_s", 0), "profiles[0].timeout_s", "between 1 and 600", id="profile-timeout"
    ),
    pytest.param(
        _set("profiles.0.tool_loop_window", 1),
        "profiles[0].tool_loop_window",
        "between 2 and 50 (got 1)",
        id="tool-loop-window",
    ),
    pytest.param(
        _set("profiles.0.tool_loop_threshold", 51),
        "profiles[0].tool_loop_threshold",
        "between 2 and 50",
        id="tool-loop-threshold",
    ),
    pytest.param(
        _set("profiles.0.tool_loop_window", 2.5),
        "profiles[0].tool_loop_window",
        "must be a whole number (got 2.5)",
        id="tool-loop-window-float",
    ),
    pytest.param(
        _set("profiles.0.tool_loop_action", "stop"),
        "profiles[0].tool_loop_action",
        "'warn', 'inject' or 'break'",
        id="tool-loop-action",
    ),
    pytest.param(
        _set("profiles.0.memory_pressure_action", "demote"),
        "profiles[0].memory_pressure_action",
        "'off', 'warn' or 'skip'",
        id="memory-action",
    ),
    pytest.param(
        _set("profiles.0.memory_pressure_action", False),
        "profiles[0].memory_pressure_action",
        "(got false)",
        id="memory-action-unquoted-off",
    ),
    pytest.param(
        _set("profiles.0.memory_pressure_cooldown_s", 5),
        "profiles[0].memory_pressure_cooldown_s",
        "between 10 and 3600",
        id="memory-cooldown",
    ),
    pytest.param(
        _set("profiles.0.backend_health_action", "skip"),
        "profiles[0].backend_health_action",
        "'off', 'warn' or 'demote'",
        id="health-action",
    ),
    pytest.param(
        _set("profiles.0.backend_health_threshold", 21),
        "profiles[0].backend_health_threshold",
        "between 2 and 20",
        id="health-threshold",
    ),
    pytest.param(_set("profiles.0.adaptive", "fast"), "profiles[0].adaptive", "true or false", id="adaptive"),
    pytest.param(
        _set("supervisor", {"port": 0}), "supervisor.port", "between 1 and 65535 (got 0)", id="sup-port"
    ),
    pytest.param(
        _set("supervisor", {"port": 70000}), "supervisor.port", "between 1 and 65535", id="sup-port-hi"
    ),
    pytest.param(
        _set("supervisor", {"workers": 0}), "supervisor.workers", "between 1 and 64", id="sup-workers"
    ),
    pytest.param(
        _set("supervisor", {"workers": 65}), "supervisor.workers", "between 1 and 64", id="sup-workers-hi"
    ),
    pytest.param(
        _set("supervisor", {"graceful_timeout_s": 0.5}),
        "supervisor.graceful_timeout_s",
        "between 1 and 3600",
        id="sup-graceful",
    ),
    pytest.param(_set("supervisor", {"host": ""}), "supervisor.host", "must not be empty", id="sup-host"),
    pytest.param(_set("supervisor", {"state": ""}), "supervisor.state", "must not be empty", id="sup-state"),
    pytest.param(_set("supervisor", [1]), "supervisor", "must be a mapping", id="sup-list"),
    pytest.param(
        _set("supervisor", {"providers": {"ollama": {"first_token_timeout_s": 0}}}),
        "supervisor.providers.ollama.first_token_timeout_s",
        "must be at least 1 (got 0)",
        id="sup-ttft",
    ),
    pytest.param(
        _set("supervisor", {"providers": {"olama": {"first_token_timeout_s": 5}}}),
        "supervisor.providers.olama",
        "unknown provider 'olama'",
        id="sup-provider-unknown",
    ),
    # Stricter than 1.10.1
    pytest.param(
        _set("providers.0.base_url", "ftp://host/v1"),
        "providers[0].base_url",
        "must be an http:// or https:// URL",
        id="base-url-scheme",
    ),
    pytest.param(
        _set("providers.0.base_url", "localhost:11434"),
        "providers[0].base_url",
        "http://",
        id="base-url-no-scheme",
    ),
    pytest.param(_set("providers.0.base_url", "http://"), "providers[0].base_url", "http://", id="no-host"),
    pytest.param(
        _set("providers.0.base_url", "http://host:99999"), "providers[0].base_url", "URL", id="bad-port"
    ),
    pytest.param(
        _set("providers.0.api_key_env", "OPENROUTER-KEY"),
        "providers[0].api_key_env",
        "NAME of an environment variable",
        id="api-key-env-dash",
    ),
    pytest.param(
        _set("providers.0.api_key_env", "1KEY"), "providers[0].api_key_env", "NAME", id="api-key-digit"
    ),
    pytest.param(
        _set("display_timezone", "Mars/Olympus"),
        "display_timezone",
        "unknown IANA time zone 'Mars/Olympus'",
        id="timezone",
    ),
    pytest.param(
        _set("display_timezone", "/etc/passwd"),
        "display_timezone",
        "unknown IANA time zone",
        id="timezone-path",
    ),
    pytest.param(
        _set("display_timezone", "zone.tab"), "display_timezone", "unknown IANA", id="timezone-nontzif"
    ),
    # Cross-references
    pytest.param(
        _set("providers.1.name", "ollama"),
        "providers[1].name",
        "duplicate provider name 'ollama' (already declared at providers[0])",
        id="dup-provider",
    ),
    pytest.param(
        _set("profiles.1", {"name": "default", "providers": ["ollama"]}),
        "profiles[1].name",
        "duplicate profile name 'default' (already declared at profiles[0])",
        id="dup-profile",
    ),
    pytest.param(
        _set("profiles.0.name", "auto"), "profiles[0].name", "'auto' is reserved", id="profile-auto"
    ),
    pytest.param(
        _set("profiles.0.providers", ["ollama", "olama"]),
        "profiles[0].providers[1]",
        "unknown provider 'olama' (declared: ollama, openrouter, spare)",
        id="unknown-provider",
    ),
    pytest.param(
        _set("mode_aliases", {"fast": "quick"}),
        "mode_aliases.fast",
        "unknown profile 'quick' (declared: default, spare)",
        id="alias-target",
    ),
    pytest.param(
        _set("mode_aliases", {1: "default"}),
        "mode_aliases[1]",
        "key must be a string (got 1)",
        id="alias-number-key",
    ),
    pytest.param(
        _set("default_profile", "coding"),
        "default_profile",
        "unknown profile 'coding' (declared: default, spare; or 'auto' for the auto router)",
        id="default",
    ),
    pytest.param(
        _rules(_rule("coding", has_tools=True), default_rule_profile="default"),
        "auto_router.rules[0].profile",
        "unknown profile 'coding'",
        id="rule-profile",
    ),
    pytest.param(
        _rules(_rule(has_tools=True)),
        "auto_router.default_rule_profile",
        "unknown profile 'writing'",
        id="default-rule-profile-default",
    ),
    pytest.param(
        _rules(_rule(has_tools=True), default_rule_profile="chat"),
        "auto_router.default_rule_profile",
        "unknown profile 'chat'",
        id="default-rule-profile",
    ),
    # Matchers
    pytest.param(
        _rules(_rule(has_image=False), default_rule_profile="default"),
        "auto_router.rules[0].match.has_image",
        "can never match",
        id="has-image-false",
    ),
    pytest.param(
        _rules(_rule(has_tools=False), default_rule_profile="default"),
        "auto_router.rules[0].match.has_tools",
        "delete the rule",
        id="has-tools-false",
    ),
    pytest.param(
        _rules(_rule(), default_rule_profile="default"),
        "auto_router.rules[0].match",
        "set exactly one matcher",
        id="no-matcher",
    ),
    pytest.param(
        _rules(_rule(has_tools=True, content_contains="x"), default_rule_profile="default"),
        "auto_router.rules[0].match",
        "got 2 (content_contains, has_tools)",
        id="two-matchers",
    ),
    pytest.param(
        _rules(_rule(content_regex="([a"), default_rule_profile="default"),
        "auto_router.rules[0].match.content_regex",
        "invalid regular expression '([a': unterminated character set",
        id="content-regex",
    ),
    pytest.param(
        _rules(_rule(model_pattern="claude-(sonnet"), default_rule_profile="default"),
        "auto_router.rules[0].match.model_pattern",
        "missing ), unterminated subpattern",
        id="model-pattern",
    ),
    pytest.param(
        _rules(_rule(code_fence_ratio_min=1.5), default_rule_profile="default"),
        "auto_router.rules[0].match.code_fence_ratio_min",
        "between 0 and 1",
        id="fence-ratio",
    ),
    pytest.param(
        _rules(_rule(content_token_count_min=0), default_rule_profile="default"),
        "auto_router.rules[0].match.content_token_count_min",
        "at least 1",
        id="token-count",
    ),
    pytest.param(
        _rules({"profile": "default", "match": {"has_tools": True}}, default_rule_profile="default"),
        "auto_router.rules[0].id",
        "required",
        id="rule-without-id",
    ),
    pytest.param(
        _set("auto_router", {"disabled": "sometimes"}),
        "auto_router.disabled",
        "true or false",
        id="router-disabled",
    ),
]


@pytest.mark.parametrize(("mutate", "key_path", "fragment"), REJECTIONS)
def test_rejected_at_load(mutate: Mutation, key_path: str, fragment: str) -> None:
    data = copy.deepcopy(minimal())
    data["providers"].append({"name": "spare", "base_url": "http://127.0.0.1:1/v1", "model": "m"})
    data["profiles"].append({"name": "spare", "providers": ["spare"]})
    mutate(data)
    error = rejection(data)
    relevant = [problem for problem in error.problems if problem.key_path == key_path]
    assert relevant, f"no problem at {key_path}: {error}"
    assert fragment in relevant[0].message
    assert "pydantic" not in str(error)
    assert "Traceback" not in str(error)


def test_several_reference_problems_are_reported_together() -> None:
    data = minimal()
    data["profiles"][0]["providers"] = ["olama", "openroute"]
    data["mode_aliases"] = {"fast": "quick"}
    error = rejection(data)
    # Ordered by line: mode_aliases comes last in this file.
    assert [problem.key_path for problem in error.problems] == [
        "profiles[0].providers[0]",
        "profiles[0].providers[1]",
        "mode_aliases.fast",
    ]


def test_disabled_router_routes_everything_to_default_rule_profile() -> None:
    data = minimal()
    data["default_profile"] = "auto"
    data["auto_router"] = {"disabled": True, "default_rule_profile": "default"}
    router = load(data).auto_router
    assert router is not None
    assert router.disabled is True


AUTO_CASES = [
    pytest.param(None, ["multi", "coding", "writing"], None, id="no-router-all-present"),
    pytest.param(None, ["multi", "coding"], "default_profile", id="no-router-writing-missing"),
    pytest.param(None, ["writing"], "default_profile", id="no-router-multi-coding-missing"),
    pytest.param({"rules": []}, ["multi", "coding", "writing"], None, id="empty-rules-all-present"),
    pytest.param(
        {"rules": [], "default_rule_profile": "default"},
        ["multi", "coding"],
        None,
        id="empty-rules-custom-fallthrough",
    ),
    pytest.param(
        {"rules": [], "default_rule_profile": "default"},
        ["coding"],
        "auto_router.rules",
        id="empty-rules-multi-missing",
    ),
    pytest.param(
        {"rules": [_rule(has_tools=True)], "default_rule_profile": "default"},
        [],
        None,
        id="own-rules-need-no-bundled-profiles",
    ),
    pytest.param({"disabled": True, "default_rule_profile": "default"}, [], None, id="disabled"),
]


@pytest.mark.parametrize(("router", "extra_profiles", "failing_key"), AUTO_CASES)
def test_default_profile_auto_needs_the_profiles_of_the_rules_in_use(
    router: Data | None, extra_profiles: list[str], failing_key: str | None
) -> None:
    data = minimal()
    data["default_profile"] = "auto"
    data["profiles"] += [{"name": name, "providers": ["ollama"]} for name in extra_profiles]
    if router is not None:
        data["auto_router"] = router
    if failing_key is None:
        assert load(data).default_profile == "auto"
        return
    error = rejection(data)
    assert [problem.key_path for problem in error.problems] == [failing_key]
    assert "bundled rules" in error.problems[0].message
    assert "missing: " in error.problems[0].message
