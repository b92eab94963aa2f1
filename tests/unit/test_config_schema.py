"""Schema of providers.yaml: every field's default, set values, and the public API surface."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from coderouter_supervisor.worker import config as config_package
from coderouter_supervisor.worker.config import (
    BUNDLED_RULES,
    AutoRouterConfig,
    Capabilities,
    CodeRouterConfig,
    CostConfig,
    ProfileConfig,
    ProviderConfig,
    ProviderTuning,
    RuleMatcher,
    SupervisorSection,
    parse_config,
)

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


def test_public_api_is_pinned() -> None:
    assert sorted(config_package.__all__) == sorted(
        [
            "AUTO_PROFILE",
            "BUNDLED_RULES",
            "KIND_DEFAULTS",
            "KindDefaults",
            "DEFAULT_MAX_BODY_MIB",
            "DEFAULT_MAX_UPSTREAM_ANSWER_MIB",
            "DEFAULT_RULE_PROFILE",
            "describe_yaml_value",
            "format_key_path",
            "problems_from_validation_error",
            "read_config_text",
            "read_yaml_document",
            "CONFIG_PATH_VAR",
            "EMBEDDED_SOURCE",
            "MATCHER_FIELDS",
            "SYSTEM_CONFIG_PATH",
            "AutoRouteRule",
            "AutoRouterConfig",
            "Capabilities",
            "CodeRouterConfig",
            "ConfigError",
            "ConfigProblem",
            "CostConfig",
            "LoadedConfig",
            "ProfileConfig",
            "ProviderConfig",
            "ProviderKind",
            "ProviderTuning",
            "RuleMatcher",
            "SupervisorSection",
            "embedded_config_text",
            "find_config_file",
            "load_config",
            "parse_config",
            "read_api_key",
        ]
    )
    for name in config_package.__all__:
        assert hasattr(config_package, name)


def test_top_level_defaults() -> None:
    config = load(minimal())
    assert config.allow_paid is False
    assert config.default_profile == "default"
    assert config.mode_aliases == {}
    assert config.display_timezone is None
    assert config.auto_router is None
    assert config.supervisor == SupervisorSection()


def test_provider_defaults() -> None:
    provider = load(minimal()).providers[0]
    assert provider == ProviderConfig(
        name="ollama", base_url="http://127.0.0.1:11434/v1", model="qwen3-coder:30b"
    )
    assert provider.kind == "openai_compat"
    assert provider.api_key_env is None
    assert provider.paid is False
    assert provider.timeout_s == 30.0
    assert provider.extra_body == {}
    assert provider.append_system_prompt is None
    assert provider.output_filters == ()
    assert provider.cost is None
    assert provider.capabilities == Capabilities()


def test_capabilities_defaults() -> None:
    assert Capabilities().model_dump() == {
        "chat": True,
        "streaming": True,
        "tools": False,
        "vision": False,
        "prompt_cache": False,
        "thinking": False,
        "reasoning_passthrough": False,
        "reasoning_control": "none",
        "mcp": "none",
        "openai_compatible": True,
    }


def test_cost_defaults() -> None:
    assert CostConfig().model_dump() == {
        "input_tokens_per_million": None,
        "output_tokens_per_million": None,
        "cache_read_discount": 0.10,
        "cache_creation_premium": 1.25,
        "monthly_budget_usd": None,
    }


def test_profile_defaults() -> None:
    profile = load(minimal()).profiles[0]
    assert profile.model_dump() == {
        "name": "default",
        "providers": ("ollama", "openrouter"),
        "timeout_s": None,
        "append_system_prompt": None,
        "tool_loop_window": 5,
        "tool_loop_threshold": 3,
        "tool_loop_action": "warn",
        "memory_pressure_action": "warn",
        "memory_pressure_cooldown_s": 120,
        "backend_health_action": "warn",
        "backend_health_threshold": 3,
        "adaptive": False,
    }


def test_auto_router_defaults() -> None:
    router = AutoRouterConfig()
    assert router.disabled is False
    assert router.rules == ()
    assert router.default_rule_profile == "writing"
    assert router.effective_rules() == BUNDLED_RULES


def test_bundled_rules_are_those_of_1_10_1() -> None:
    assert [(rule.id, rule.profile, rule.match.matcher_names()) for rule in BUNDLED_RULES] == [
        ("builtin:image-attachment", "multi", ("has_image",)),
        ("builtin:code-fence-dense", "coding", ("code_fence_ratio_min",)),
    ]
    assert BUNDLED_RULES[1].match.code_fence_ratio_min == 0.3


def test_supervisor_section_leaves_every_default_to_the_supervisor() -> None:
    assert SupervisorSection().model_dump() == {
        "host": None,
        "port": None,
        "admin_port": None,
        "workers": None,
        "state": None,
        "state_password_env": None,
        "graceful_timeout_s": None,
        "events_path": None,
        "auth": None,
        "admin_requires_key": None,
        "max_body_mib": None,
        "max_upstream_answer_mib": None,
        "profile": None,
        "providers": {},
    }


def test_supervisor_section_values() -> None:
    data = minimal()
    data["supervisor"] = {
        "host": "0.0.0.0",
        "port": 9000,
        "workers": 4,
        "state": "~/state.db",
        "graceful_timeout_s": 90,
        "providers": {"ollama": {"first_token_timeout_s": 20}},
    }
    section = load(data).supervisor
    assert section == SupervisorSection(
        host="0.0.0.0",
        port=9000,
        workers=4,
        state="~/state.db",
        graceful_timeout_s=90.0,
        providers={"ollama": ProviderTuning(first_token_timeout_s=20.0)},
    )


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        pytest.param("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1", id="kept"),
        pytest.param("https://openrouter.ai/api/v1/", "https://openrouter.ai/api/v1", id="trailing-slash"),
        pytest.param("HTTP://Host:9", "HTTP://Host:9", id="upper-case-scheme"),
        pytest.param("http://[::1]:8080", "http://[::1]:8080", id="ipv6"),
    ],
)
def test_base_url_accepted(url: str, stored: str) -> None:
    data = minimal()
    data["providers"][0]["base_url"] = url
    assert load(data).providers[0].base_url == stored


def test_lax_yaml_scalars_keep_their_1_10_1_meaning() -> None:
    data = minimal()
    data["providers"][0].update({"paid": "yes", "timeout_s": "45"})
    data["profiles"][0]["tool_loop_window"] = "7"
    config = load(data)
    assert config.providers[0].paid is True
    assert config.providers[0].timeout_s == 45.0
    assert config.profiles[0].tool_loop_window == 7


def test_models_are_immutable() -> None:
    config = load(minimal())
    with pytest.raises(ValueError, match="frozen"):
        config.providers[0].__setattr__("model", "other")


def test_lookup_by_name() -> None:
    config = load(minimal())
    assert config.provider("openrouter").model == "m:free"
    assert config.profile("default").providers == ("ollama", "openrouter")
    with pytest.raises(KeyError):
        config.profile("missing")


def test_profile_model_can_be_built_directly() -> None:
    assert ProfileConfig(name="p", providers=("a",)).adaptive is False
    assert RuleMatcher(has_tools=True).matcher_names() == ("has_tools",)
