"""The model capability registry (first match per flag), its file format, and the routing gates."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, get_args

import pytest

from coderouter_supervisor.worker.config import KIND_DEFAULTS, Capabilities, ConfigError, ProviderConfig
from coderouter_supervisor.worker.config.providers import ProviderKind
from coderouter_supervisor.worker.routing.capabilities import (
    CapabilityRegistry,
    CapabilityRule,
    ModelCapabilities,
    RegistryCapabilities,
    bundled_rules,
    can_think,
    load_registry,
    parse_registry,
    request_has_cache_control,
    request_wants_thinking,
    supports_cache_control,
    supports_thinking,
)


def rule(match: str, kind: str = "any", **flags: Any) -> CapabilityRule:
    return CapabilityRule.model_validate({"match": match, "kind": kind, "capabilities": flags})


def provider(model: str, kind: ProviderKind = "openai_compat", **capabilities: Any) -> ProviderConfig:
    return ProviderConfig(
        name="p",
        kind=kind,
        base_url="http://127.0.0.1:8080/v1",
        model=model,
        capabilities=Capabilities(**capabilities),
    )


BUNDLED = CapabilityRegistry(bundled_rules())
EMPTY = CapabilityRegistry(())


# --- lookup ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "model", "kind", "expected"),
    [
        pytest.param(
            [rule("m*", tools=True), rule("m*", thinking=True, tools=False)],
            "model",
            "openai_compat",
            ModelCapabilities(thinking=True, tools=True),
            id="earlier-rule-without-a-flag-does-not-hide-later-one",
        ),
        pytest.param(
            [rule("m*", thinking=False), rule("m*", thinking=True)],
            "model",
            "openai_compat",
            ModelCapabilities(thinking=False),
            id="first-rule-setting-a-flag-wins",
        ),
        pytest.param(
            [rule("other*", thinking=True), rule("m*", thinking=False)],
            "model",
            "openai_compat",
            ModelCapabilities(thinking=False),
            id="non-matching-rule-is-ignored",
        ),
        pytest.param(
            [rule("m*", "anthropic", cache_control=True), rule("m*", cache_control=False)],
            "model",
            "openai_compat",
            ModelCapabilities(cache_control=False),
            id="rule-for-other-kind-is-ignored",
        ),
        pytest.param(
            [rule("m*", "anthropic", cache_control=True), rule("m*", cache_control=False)],
            "model",
            "anthropic",
            ModelCapabilities(cache_control=True),
            id="rule-for-own-kind-applies",
        ),
        pytest.param(
            [rule("Qwen*", tools=True)],
            "qwen3",
            "openai_compat",
            ModelCapabilities(),
            id="glob-is-case-sensitive",
        ),
        pytest.param(
            [rule("GLM-4.[5-9]*", tools=True)],
            "GLM-4.6-air",
            "openai_compat",
            ModelCapabilities(tools=True),
            id="character-class",
        ),
        pytest.param(
            [rule("GLM-4.[5-9]*", tools=True)],
            "GLM-4.4",
            "openai_compat",
            ModelCapabilities(),
            id="character-class-outside",
        ),
        pytest.param(
            [
                rule(
                    "exact",
                    max_context_tokens=8192,
                    claude_code_suitability="degraded",
                    reasoning_passthrough=True,
                )
            ],
            "exact",
            "anthropic",
            ModelCapabilities(
                max_context_tokens=8192, claude_code_suitability="degraded", reasoning_passthrough=True
            ),
            id="every-flag-is-carried",
        ),
        pytest.param([], "anything", "anthropic", ModelCapabilities(), id="no-rules"),
    ],
)
def test_lookup(
    rules: list[CapabilityRule], model: str, kind: ProviderKind, expected: ModelCapabilities
) -> None:
    assert CapabilityRegistry(rules).lookup(model, kind) == expected


def test_lookup_is_memoised_per_model_and_kind() -> None:
    registry = CapabilityRegistry([rule("m", "anthropic", thinking=True)])
    first = registry.lookup("m", "anthropic")
    assert registry.lookup("m", "anthropic") is first
    assert registry.lookup("m", "openai_compat") == ModelCapabilities()


def test_result_has_one_field_per_registry_flag() -> None:
    names = [field.name for field in dataclasses.fields(ModelCapabilities)]
    assert names == list(RegistryCapabilities.model_fields)


# --- bundled rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "kind", "thinking", "cache_control"),
    [
        pytest.param("claude-opus-4-8", "anthropic", True, True, id="opus-4-8"),
        pytest.param("claude-opus-4-1-20250805", "anthropic", True, True, id="opus-4-1"),
        pytest.param("claude-sonnet-5", "anthropic", True, True, id="sonnet-5"),
        pytest.param("claude-opus-5", "anthropic", True, True, id="opus-5"),
        pytest.param("claude-haiku-4-5-20251001", "anthropic", True, True, id="haiku-4-5"),
        pytest.param("claude-sonnet-4-6", "anthropic", True, True, id="sonnet-4-6"),
        pytest.param("claude-sonnet-4-7-20260101", "anthropic", True, True, id="sonnet-4-7"),
        pytest.param("claude-sonnet-4-5-20250929", "anthropic", True, True, id="sonnet-4-5"),
        pytest.param("claude-sonnet-5", "openai_compat", None, None, id="claude-via-openai-compat"),
        pytest.param("qwen3.5-plus", "anthropic", None, True, id="qwen3.5-anthropic"),
        pytest.param("qwen3.6-max", "anthropic", None, True, id="qwen3.6-anthropic"),
        pytest.param("qwen3.5-plus", "openai_compat", None, None, id="qwen3.5-openai-compat"),
        pytest.param("qwen3.6:35b", "openai_compat", True, None, id="qwen3.6-ollama-thinks"),
        pytest.param("gemma4:27b", "anthropic", True, None, id="gemma4-any-kind"),
    ],
)
def test_bundled_thinking_and_cache(
    model: str, kind: ProviderKind, thinking: bool | None, cache_control: bool | None
) -> None:
    found = BUNDLED.lookup(model, kind)
    assert (found.thinking, found.cache_control) == (thinking, cache_control)


@pytest.mark.parametrize(
    ("model", "kind", "tools", "suitability"),
    [
        pytest.param("qwen3-coder:30b", "openai_compat", True, "ok", id="qwen3-coder-ollama"),
        pytest.param("qwen/qwen3-coder", "openai_compat", True, "ok", id="qwen3-coder-openrouter"),
        pytest.param("Qwen/Qwen3-Coder-480B-A35B-Instruct", "openai_compat", True, "ok", id="qwen3-coder-hf"),
        pytest.param("qwen3-coder:30b", "anthropic", None, None, id="qwen3-coder-rules-are-openai-compat"),
        pytest.param(
            "meta-llama/llama-3.3-70b-instruct", "openai_compat", None, "degraded", id="llama-lower"
        ),
        pytest.param("Llama-3.3-70B-Instruct", "openai_compat", None, "degraded", id="llama-upper"),
        pytest.param("GLM-4.6", "openai_compat", True, None, id="glm"),
        pytest.param("moonshotai/kimi-k2-instruct", "anthropic", True, None, id="kimi-any-kind"),
        pytest.param("gpt-oss-120b", "openai_compat", True, None, id="gpt-oss"),
        pytest.param("mistral/devstral-small", "openai_compat", True, None, id="devstral"),
        pytest.param("llama3.2:3b", "openai_compat", None, None, id="unknown-model"),
    ],
)
def test_bundled_tools_and_suitability(
    model: str, kind: ProviderKind, tools: bool | None, suitability: str | None
) -> None:
    found = BUNDLED.lookup(model, kind)
    assert (found.tools, found.claude_code_suitability) == (tools, suitability)


def test_bundled_file_is_read_once() -> None:
    assert bundled_rules() is bundled_rules()
    assert all(isinstance(item, CapabilityRule) for item in bundled_rules())


# --- file format -----------------------------------------------------------------------------------


def test_parse_reads_rules_in_order_with_default_kind() -> None:
    text = """
version: 1
rules:
  - match: "a-*"
    capabilities: {tools: true, max_context_tokens: 32768}
  - match: "b"
    kind: anthropic
    capabilities: {claude_code_suitability: degraded}
"""
    assert parse_registry(text, "caps.yaml") == (
        rule("a-*", tools=True, max_context_tokens=32768),
        rule("b", "anthropic", claude_code_suitability="degraded"),
    )


def test_parse_accepts_an_empty_rule_list() -> None:
    assert parse_registry("version: 1\nrules: []\n", "caps.yaml") == ()


def _rules_with(entry: str) -> str:
    return f"version: 1\nrules:\n  - {entry}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "caps.yaml: the file is empty", id="empty"),
        pytest.param("- 1\n", "caps.yaml:1: the top level must be a mapping", id="top-level-list"),
        pytest.param("version: 1\nrules: [\n", "caps.yaml:3: invalid YAML", id="bad-yaml"),
        pytest.param("version: 2\nrules: []\n", "caps.yaml:1: version: must be 1", id="wrong-version"),
        pytest.param("version: true\nrules: []\n", "version: must be 1", id="boolean-version"),
        pytest.param("rules: []\n", "caps.yaml: version: required key is missing", id="missing-version"),
        pytest.param(
            "version: 1\nrules: []\nrulez: []\n",
            "caps.yaml:3: rulez: unknown key (did you mean 'rules'?)",
            id="unknown-top-level-key",
        ),
        pytest.param("version: 1\nrules: {}\n", "caps.yaml:2: rules: must be a list", id="rules-not-a-list"),
        pytest.param(
            _rules_with("{mtch: x, capabilities: {}}"),
            "rules[0].mtch: unknown key (did you mean 'match'?)",
            id="unknown-rule-key",
        ),
        pytest.param(
            _rules_with("{match: x, capabilities: {colour: red}}"),
            "caps.yaml:3: rules[0].capabilities.colour: unknown key (allowed here: thinking, "
            "reasoning_passthrough, tools, max_context_tokens, claude_code_suitability, cache_control)",
            id="unknown-capability-lists-allowed",
        ),
        pytest.param(
            _rules_with("{match: '', capabilities: {}}"), "rules[0].match: must not be empty", id="empty-glob"
        ),
        pytest.param(_rules_with("{match: x}"), "rules[0].capabilities: required key", id="no-capabilities"),
        pytest.param(
            _rules_with("{match: x, kind: ollama, capabilities: {}}"),
            "rules[0].kind: must be 'anthropic', 'openai_compat' or 'any' (got 'ollama')",
            id="bad-kind",
        ),
        pytest.param(
            _rules_with("{match: x, capabilities: {tools: maybe}}"),
            "rules[0].capabilities.tools: must be true or false (got 'maybe')",
            id="bad-bool",
        ),
        pytest.param(
            _rules_with("{match: x, capabilities: {max_context_tokens: 0}}"),
            "rules[0].capabilities.max_context_tokens: must be at least 1 (got 0)",
            id="context-below-one",
        ),
        pytest.param(
            _rules_with("{match: x, capabilities: {claude_code_suitability: good}}"),
            "rules[0].capabilities.claude_code_suitability: must be 'ok' or 'degraded'",
            id="bad-suitability",
        ),
    ],
)
def test_parse_errors_name_file_key_and_expectation(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_registry(text, "caps.yaml")
    assert expected in str(caught.value)
    assert caught.value.source == "caps.yaml"


# --- loading ---------------------------------------------------------------------------------------


def write_user_file(home: Path, text: str) -> Path:
    path = home / ".coderouter" / "model-capabilities.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_without_user_file_is_bundled_only(tmp_path: Path) -> None:
    registry = load_registry(tmp_path)
    assert registry.rules == bundled_rules()
    assert registry.lookup("claude-opus-4-8", "anthropic").thinking is True


def test_load_puts_user_rules_first(tmp_path: Path) -> None:
    write_user_file(
        tmp_path,
        "version: 1\nrules:\n"
        "  - {match: 'claude-opus-4-*', kind: anthropic, capabilities: {thinking: false, tools: true}}\n"
        "  - {match: 'my-local-model', capabilities: {thinking: true}}\n",
    )
    registry = load_registry(tmp_path)
    assert registry.rules[2:] == bundled_rules()
    opus = registry.lookup("claude-opus-4-8", "anthropic")
    assert (opus.thinking, opus.tools, opus.cache_control) == (False, True, True)
    assert registry.lookup("my-local-model", "openai_compat").thinking is True


def test_load_reports_a_bad_user_file_by_its_path(tmp_path: Path) -> None:
    path = write_user_file(tmp_path, "version: 1\nrules:\n  - {match: x, capabilities: {thinkin: true}}\n")
    with pytest.raises(ConfigError) as caught:
        load_registry(tmp_path)
    assert str(caught.value).startswith(f"{path}:3: rules[0].capabilities.thinkin: unknown key")


def test_load_rejects_a_directory_in_place_of_the_file(tmp_path: Path) -> None:
    (tmp_path / ".coderouter" / "model-capabilities.yaml").mkdir(parents=True)
    with pytest.raises(ConfigError, match="is a directory"):
        load_registry(tmp_path)


# --- gates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "registry", "expected"),
    [
        pytest.param(provider("plain", thinking=True), EMPTY, True, id="explicit-capability"),
        pytest.param(provider("claude-sonnet-5", "anthropic"), BUNDLED, True, id="registry-says-yes"),
        pytest.param(
            provider("claude-sonnet-5", "anthropic", thinking=False), BUNDLED, True, id="false-is-default"
        ),
        pytest.param(provider("claude-sonnet-5"), BUNDLED, False, id="registry-rule-for-other-kind"),
        pytest.param(
            provider("m"), CapabilityRegistry([rule("m", thinking=False)]), False, id="registry-says-no"
        ),
        pytest.param(
            provider("m", thinking=True),
            CapabilityRegistry([rule("m", thinking=False)]),
            True,
            id="explicit-yes-beats-registry-no",
        ),
        pytest.param(provider("llama3.2:3b"), BUNDLED, False, id="unknown-model"),
    ],
)
def test_supports_thinking(config: ProviderConfig, registry: CapabilityRegistry, expected: bool) -> None:
    assert supports_thinking(config, registry) is expected


@pytest.mark.parametrize(
    ("config", "registry", "expected"),
    [
        pytest.param(provider("plain", thinking=True), EMPTY, True, id="declared"),
        pytest.param(provider("my-claude", "anthropic"), EMPTY, True, id="anthropic-thinks-unless-marked"),
        pytest.param(
            provider("my-claude", "anthropic", thinking=False),
            EMPTY,
            False,
            id="anthropic-marked-not-to-think",
        ),
        pytest.param(provider("claude-3-5-haiku-x", "anthropic"), BUNDLED, False, id="anthropic-registry-no"),
        pytest.param(
            provider("claude-sonnet-5", "anthropic", thinking=False), BUNDLED, True, id="registry-yes-wins"
        ),
        pytest.param(provider("llama3.2:3b"), BUNDLED, False, id="openai-compat-undeclared"),
        pytest.param(provider("m", reasoning_control="openai"), EMPTY, True, id="openai-reasoning-control"),
    ],
)
def test_can_think_is_the_one_rule(
    config: ProviderConfig, registry: CapabilityRegistry, expected: bool
) -> None:
    assert can_think(config, registry) is expected


@pytest.mark.parametrize(
    ("config", "registry", "expected"),
    [
        pytest.param(provider("plain", prompt_cache=True), EMPTY, True, id="explicit-prompt-cache"),
        pytest.param(
            provider("m", "anthropic", prompt_cache=True),
            CapabilityRegistry([rule("m", cache_control=False)]),
            True,
            id="explicit-beats-registry-no",
        ),
        pytest.param(
            provider("m", "anthropic"),
            CapabilityRegistry([rule("m", cache_control=False)]),
            False,
            id="registry-no-beats-kind",
        ),
        pytest.param(
            provider("m", "openai_compat"),
            CapabilityRegistry([rule("m", cache_control=True)]),
            True,
            id="registry-yes-on-openai-compat",
        ),
        pytest.param(provider("qwen3.6-plus", "anthropic"), BUNDLED, True, id="bundled-qwen"),
        pytest.param(provider("some-model", "anthropic"), EMPTY, True, id="anthropic-kind-by-default"),
        pytest.param(provider("some-model", "openai_compat"), EMPTY, False, id="openai-compat-by-default"),
    ],
)
def test_supports_cache_control(config: ProviderConfig, registry: CapabilityRegistry, expected: bool) -> None:
    assert supports_cache_control(config, registry) is expected


# --- request checks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"thinking": {"type": "enabled", "budget_tokens": 31999}}, True, id="enabled"),
        pytest.param({"thinking": {"type": "adaptive"}}, True, id="adaptive"),
        pytest.param({"thinking": {"type": "disabled"}}, False, id="disabled"),
        pytest.param({"model": "m"}, False, id="absent"),
        pytest.param({"thinking": None}, False, id="null"),
        pytest.param({"thinking": "enabled"}, False, id="string-not-object"),
        pytest.param({"thinking": {"budget_tokens": 1024}}, False, id="no-type"),
        pytest.param({"thinking": {"type": ["enabled"]}}, False, id="unhashable-type"),
    ],
)
def test_request_wants_thinking(body: dict[str, Any], expected: bool) -> None:
    assert request_wants_thinking(body) is expected


EPHEMERAL = {"type": "ephemeral"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {
                "system": [
                    {"type": "text", "text": "a"},
                    {"type": "text", "text": "b", "cache_control": EPHEMERAL},
                ]
            },
            True,
            id="system-block",
        ),
        pytest.param(
            {"tools": [{"name": "Bash", "input_schema": {}, "cache_control": EPHEMERAL}]},
            True,
            id="tool-entry",
        ),
        pytest.param(
            {
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": EPHEMERAL}]}
                ]
            },
            True,
            id="message-block",
        ),
        pytest.param(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": "t",
                                "content": "ok",
                                "cache_control": EPHEMERAL,
                            }
                        ],
                    }
                ]
            },
            True,
            id="tool-result-block",
        ),
        pytest.param(
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "tool_result",
                                "tool_use_id": "t",
                                "content": [{"type": "text", "text": "ok", "cache_control": EPHEMERAL}],
                            }
                        ],
                    }
                ]
            },
            True,
            id="block-nested-in-tool-result",
        ),
        pytest.param(
            {
                "system": "plain system prompt",
                "tools": [{"name": "Bash", "input_schema": {"properties": {"cache_control": {}}}}],
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "system", "content": "mid-conversation system text"},
                    {"role": "assistant", "content": [{"type": "text", "text": "cache_control"}]},
                ],
            },
            False,
            id="unmarked-request",
        ),
        pytest.param(
            {"system": [{"type": "text", "text": "a", "cache_control": None}]}, False, id="null-marker"
        ),
        pytest.param({"cache_control": EPHEMERAL}, False, id="top-level-key-is-not-a-block"),
        pytest.param({}, False, id="empty-body"),
        pytest.param(
            {"system": {"cache_control": EPHEMERAL}, "tools": "x", "messages": {"content": []}},
            False,
            id="containers-of-wrong-type",
        ),
        pytest.param(
            {"system": [None, 3, "s"], "tools": [None], "messages": [None, "m", {"content": [None, 1]}]},
            False,
            id="items-of-wrong-type",
        ),
        pytest.param(
            {"messages": [{"content": [{"type": "tool_result", "content": {"cache_control": EPHEMERAL}}]}]},
            False,
            id="tool-result-content-not-a-list",
        ),
    ],
)
def test_request_has_cache_control(body: dict[str, Any], expected: bool) -> None:
    assert request_has_cache_control(body) is expected


def test_every_provider_kind_has_its_defaults() -> None:
    assert set(KIND_DEFAULTS) == set(get_args(ProviderKind))
