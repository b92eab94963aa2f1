"""Every config in examples/ is valid, and `check` reads it the way its comments say. (The Grafana
dashboard beside them is checked against a live /metrics in test_dashboard_history.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.gateway_process import run_cli

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
# What each example's summary must show; a new example needs a line here.
EXPECTED: dict[str, tuple[str, ...]] = {
    "team-lan.yaml": (
        "budget $150/month",
        "budget $50/month",
        " *coding: gpu-box -> openrouter-free -> claude-sonnet",
        "modes: fast=chat, best=premium",
        "paid providers allowed",
    ),
    "raspberry-pi-ollama.yaml": (
        " *local: qwen-coder-3b -> qwen-coder-1.5b",
        "paid providers blocked (allow_paid: false)",
        "supervisor: host=127.0.0.1, workers=1, graceful_timeout_s=600.0, profile=low_write",
    ),
    "auto-router.yaml": (
        "profiles (4), default: auto",
        "auto router: 6 rules, else writing",
        "  user:image: has_image=True -> vision",
        "  user:long-prompt: content_token_count_min=60000 -> long-context",
    ),
    "paid-fallback-capped.yaml": (
        "(paid, key from $ANTHROPIC_API_KEY, budget $20/month)",
        "(paid, key from $OPENAI_API_KEY, budget $10/month)",
        " *default: ollama -> anthropic -> openai",
        "paid providers allowed",
    ),
}


def test_every_example_has_expectations() -> None:
    assert sorted(p.name for p in EXAMPLE_FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_passes_check(tmp_path: Path, example: Path) -> None:
    result = run_cli(tmp_path, "check", "--config", str(example))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{example}: OK (digest ")
    for expected in EXPECTED[example.name]:
        assert expected in result.stdout, expected


def test_default_configs_commented_supervisor_section_is_valid_once_uncommented(tmp_path: Path) -> None:
    text = (EXAMPLES.parent / "etc" / "providers.yaml").read_text()
    start = text.index("# supervisor:\n")
    end = text.index("#\n", start)
    block = "".join(line.removeprefix("# ") + "\n" for line in text[start:end].splitlines())
    assert block.startswith("supervisor:\n  host: 127.0.0.1")
    config = tmp_path / "providers.yaml"
    config.write_text(text[:start] + block)
    result = run_cli(tmp_path, "check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{config}: OK")
