"""Loading providers.yaml: files, the embedded default, environment overrides and the error format."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from coderouter_supervisor.worker.config import (
    EMBEDDED_SOURCE,
    ConfigError,
    ConfigProblem,
    LoadedConfig,
    embedded_config_text,
    load_config,
    parse_config,
)

FULL_FIXTURE = Path(__file__).parent.parent / "fixtures" / "providers.full-1.10.1.yaml"

SAMPLE = textwrap.dedent(
    """\
    default_profile: default
    mode_aliases:
      fast: quick
    providers:
      - name: ollama
        base_url: http://127.0.0.1:11434/v1
        model: qwen3-coder:30b
      - name: paid-one
        base_url: https://api.example.com/v1
        model: big
        paid: true
    profiles:
      - name: default
        providers: [ollama, paid-one]
      - name: quick
        providers: [ollama]
    """
)


def parse(text: str, env: dict[str, str] | None = None) -> LoadedConfig:
    return parse_config(text, "providers.yaml", env or {})


def parse_error(text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(text, env)
    return caught.value


def test_loaded_config_records_source_text_and_digest(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    loaded = load_config(path, {})
    assert loaded.source == str(path)
    assert loaded.text == SAMPLE
    assert loaded.digest == hashlib.sha256(SAMPLE.encode()).hexdigest()[:12]
    assert len(loaded.digest) == 12
    assert parse(SAMPLE + "# edited\n").digest != loaded.digest


def test_embedded_default_loads_with_local_ollama_first() -> None:
    loaded = load_config(None, {})
    config = loaded.config
    assert loaded.source == EMBEDDED_SOURCE
    assert loaded.text == embedded_config_text()
    assert config.allow_paid is False
    assert config.default_profile == "default"
    assert not any(provider.paid for provider in config.providers)
    chain = [config.provider(name) for name in config.profile("default").providers]
    assert chain[0].base_url == "http://127.0.0.1:11434/v1"
    assert len(chain) > 1
    assert all(provider.base_url.startswith("https://openrouter.ai/") for provider in chain[1:])
    assert all(provider.api_key_env == "OPENROUTER_API_KEY" for provider in chain[1:])
    assert all(provider.model.endswith(":free") for provider in chain[1:])
    assert config.profile("local").providers == ("ollama",)


def test_full_1_10_1_fixture_loads_with_its_values() -> None:
    config = load_config(FULL_FIXTURE, {}).config
    assert config.default_profile == "auto"
    assert config.display_timezone == "Asia/Tokyo"
    assert config.mode_aliases["think"] == "reasoning"
    assert len(config.providers) == 5
    coder = config.provider("ollama-qwen-coder")
    assert coder.extra_body["options"] == {"num_ctx": 32768, "num_predict": 4096}
    assert coder.output_filters == ("strip_thinking", "strip_stop_markers")
    assert coder.append_system_prompt == "Answer concisely. /no_think"
    assert coder.timeout_s == 120.0
    direct = config.provider("anthropic-direct")
    assert direct.kind == "anthropic"
    assert direct.paid is True
    assert direct.capabilities.prompt_cache is True
    assert direct.capabilities.mcp == "anthropic"
    assert direct.capabilities.openai_compatible is False
    assert direct.cost is not None
    assert direct.cost.monthly_budget_usd == 20.0
    assert direct.cost.output_tokens_per_million == 15.0
    assert config.provider("openai-mini").base_url == "https://api.openai.com/v1"
    coding = config.profile("coding")
    assert (coding.tool_loop_action, coding.memory_pressure_action, coding.backend_health_action) == (
        "inject",
        "skip",
        "demote",
    )
    assert (coding.tool_loop_window, coding.tool_loop_threshold) == (8, 4)
    assert (coding.memory_pressure_cooldown_s, coding.backend_health_threshold) == (300, 5)
    assert coding.adaptive is True
    assert coding.append_system_prompt == ""
    assert config.profile("writing").memory_pressure_action == "off"
    router = config.auto_router
    assert router is not None
    assert router.default_rule_profile == "writing"
    matchers = [rule.match.matcher_names()[0] for rule in router.rules]
    assert sorted(matchers) == sorted(
        [
            "has_image",
            "has_tools",
            "model_pattern",
            "content_regex",
            "content_contains",
            "code_fence_ratio_min",
            "content_token_count_min",
        ]
    )
    assert router.rules[3].match.content_regex == "(?i)translate|翻訳|和訳|英訳"


def test_full_fixture_round_trips_through_its_own_dump() -> None:
    config = load_config(FULL_FIXTURE, {}).config
    again = type(config).model_validate(config.model_dump())
    assert again == config


# Environment overrides


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1", True, id="1"),
        pytest.param("TRUE", True, id="TRUE"),
        pytest.param("yes", True, id="yes"),
        pytest.param("On", True, id="On"),
        pytest.param("0", False, id="0"),
        pytest.param("false", False, id="false"),
        pytest.param("NO", False, id="NO"),
        pytest.param("off", False, id="off"),
    ],
)
def test_allow_paid_env_overrides_the_file(value: str, expected: bool) -> None:
    flipped = SAMPLE.replace("default_profile: default", f"allow_paid: {str(not expected).lower()}")
    assert parse(flipped, {"ALLOW_PAID": value}).config.allow_paid is expected


@pytest.mark.parametrize("value", [pytest.param("", id="empty"), pytest.param("  ", id="blank")])
def test_allow_paid_env_empty_means_unset(value: str) -> None:
    assert parse(
        SAMPLE.replace("default_profile: default", "allow_paid: true"), {"ALLOW_PAID": value}
    ).config.allow_paid


@pytest.mark.parametrize("value", [pytest.param("maybe", id="word"), pytest.param("2", id="number")])
def test_allow_paid_env_rejects_other_values(value: str) -> None:
    message = str(parse_error(SAMPLE, {"ALLOW_PAID": value}))
    assert "ALLOW_PAID" in message
    assert repr(value) in message
    assert "1, true, yes, on" in message
    assert "0, false, no, off" in message


@pytest.mark.parametrize(
    ("mode", "profile"),
    [
        pytest.param("quick", "quick", id="profile-name"),
        pytest.param(" quick ", "quick", id="whitespace-stripped"),
        pytest.param("fast", "quick", id="mode-alias"),
        pytest.param("", "default", id="empty-is-unset"),
    ],
)
def test_coderouter_mode_overrides_default_profile(mode: str, profile: str) -> None:
    assert parse(SAMPLE, {"CODEROUTER_MODE": mode}).config.default_profile == profile


def test_coderouter_mode_profile_name_wins_over_alias() -> None:
    text = SAMPLE.replace("fast: quick", "quick: default")
    assert parse(text, {"CODEROUTER_MODE": "quick"}).config.default_profile == "quick"


def test_coderouter_mode_auto_needs_the_bundled_profiles() -> None:
    error = parse_error(SAMPLE, {"CODEROUTER_MODE": "auto"})
    assert error.problems[0].key_path == "default_profile"
    assert "bundled rules" in str(error)


def test_coderouter_mode_applies_before_validation() -> None:
    # The file's own default_profile names no profile; the override makes the file valid.
    text = SAMPLE.replace("default_profile: default", "default_profile: missing")
    assert parse(text, {"CODEROUTER_MODE": "quick"}).config.default_profile == "quick"


def test_coderouter_mode_unknown_lists_profiles_and_modes() -> None:
    message = str(parse_error(SAMPLE, {"CODEROUTER_MODE": "turbo"}))
    assert message.startswith("providers.yaml: ")
    assert "CODEROUTER_MODE='turbo'" in message
    assert "profiles: default, quick" in message
    assert "modes: fast" in message


# Error format


@pytest.mark.parametrize(
    ("problem", "rendered"),
    [
        pytest.param(ConfigProblem("a.b[0]", 3, "bad"), "f.yaml:3: a.b[0]: bad", id="line-and-key"),
        pytest.param(ConfigProblem("a", None, "bad"), "f.yaml: a: bad", id="no-line"),
        pytest.param(ConfigProblem("", 7, "bad"), "f.yaml:7: bad", id="no-key"),
        pytest.param(ConfigProblem("", None, "bad"), "f.yaml: bad", id="neither"),
    ],
)
def test_single_problem_rendering(problem: ConfigProblem, rendered: str) -> None:
    error = ConfigError("f.yaml", (problem,))
    assert str(error) == rendered
    assert error.problems == (problem,)
    assert error.source == "f.yaml"


def test_config_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        ConfigError("f.yaml", ())


def test_one_problem_is_one_line_naming_file_line_and_key() -> None:
    text = SAMPLE.replace("providers: [ollama]", "providers: [olama]")
    error = parse_error(text)
    assert str(error) == (
        "providers.yaml:16: profiles[1].providers[0]: unknown provider 'olama' (declared: ollama, paid-one)"
    )
    assert error.source == "providers.yaml"
    assert len(error.problems) == 1
    assert error.problems[0].line == 16


def test_range_problem_names_bounds_and_value(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        SAMPLE.replace("    model: big\n", "    model: big\n    timeout_s: 0.5\n"), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(caught.value) == f"{path}:11: providers[1].timeout_s: must be between 1 and 600 (got 0.5)"


def test_missing_key_points_at_the_entry_that_lacks_it() -> None:
    error = parse_error(SAMPLE.replace("    model: qwen3-coder:30b\n", ""))
    assert str(error) == "providers.yaml:5: providers[0].model: required key is missing"


def test_many_problems_show_five_under_one_header() -> None:
    text = SAMPLE + "".join(f"bogus_{index}: 1\n" for index in range(7))
    error = parse_error(text)
    lines = str(error).splitlines()
    assert lines[0] == "providers.yaml: 7 problems"
    assert lines[1].startswith("  line 17: bogus_0: unknown key (allowed here: allow_paid, default_profile, ")
    assert [line.split(":")[1].strip() for line in lines[1:6]] == [f"bogus_{index}" for index in range(5)]
    assert lines[6] == "  (+2 more)"
    assert len(lines) == 7
    assert len(error.problems) == 7


def test_message_never_leaks_pydantic() -> None:
    message = str(parse_error(SAMPLE.replace("paid: true", "paid: perhaps")))
    assert "pydantic" not in message
    assert "errors.pydantic.dev" not in message
    assert "validation error" not in message.lower()
    assert message == "providers.yaml:11: providers[1].paid: must be true or false (got 'perhaps')"


def test_api_key_env_problem_never_echoes_the_value() -> None:
    secret = "sk-or-v1-0123456789abcdef"
    text = SAMPLE.replace("    paid: true\n", f"    paid: true\n    api_key_env: {secret}\n")
    message = str(parse_error(text))
    assert secret not in message
    assert "providers[1].api_key_env" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "providers.yaml: the file is empty", id="empty"),
        pytest.param("# only a comment\n", "providers.yaml: the file is empty", id="comment-only"),
        pytest.param("- a\n- b\n", "providers.yaml:1: the top level must be a mapping", id="list"),
        pytest.param("just words\n", "providers.yaml:1: the top level must be a mapping", id="scalar"),
        pytest.param("providers: [\n", "providers.yaml:2: invalid YAML: ", id="unclosed-flow"),
        pytest.param(
            "providers:\n  - name: a\n   model: b\n", "providers.yaml:3: invalid YAML: ", id="bad-indent"
        ),
        pytest.param("a: 1\n---\nb: 2\n", "providers.yaml:2: invalid YAML: ", id="two-documents"),
        pytest.param("a: !!python/object:os.system x\n", "providers.yaml:1: invalid YAML: ", id="unsafe-tag"),
    ],
)
def test_unusable_documents(text: str, expected: str) -> None:
    message = str(parse_error(text))
    assert message.startswith(expected)
    assert "\n" not in message


def test_yaml_error_names_the_column() -> None:
    message = str(parse_error("providers:\n  - name: a\n   model: b\n"))
    assert "(column " in message


def test_repeated_key_reports_the_line_of_the_one_that_counts() -> None:
    text = SAMPLE.replace("    paid: true\n", "    paid: true\n    timeout_s: 30\n    timeout_s: 0\n")
    assert str(parse_error(text)).startswith("providers.yaml:13: providers[1].timeout_s:")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param(None, "config file not found", id="missing"),
        pytest.param(b"\xff\xfe\x00bad", "not UTF-8 text", id="not-utf8"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes | None, fragment: str) -> None:
    path = tmp_path / "providers.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert str(caught.value).startswith(f"{path}: {fragment}")
    assert caught.value.source == str(path)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path, {})


def test_embedded_source_names_itself_in_errors() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"CODEROUTER_MODE": "nonexistent"})
    assert str(caught.value).startswith(f"{EMBEDDED_SOURCE}: environment variable CODEROUTER_MODE")
