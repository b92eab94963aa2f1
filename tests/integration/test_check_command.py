"""`coderouter-supervisor check`: validate a config without starting anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support.gateway_process import run_cli

FIXTURES = Path(__file__).parent.parent / "fixtures"


def run_check(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, "check", *args)


def test_check_accepts_a_config_using_every_1_10_1_key(tmp_path: Path) -> None:
    result = run_check(tmp_path, "--config", str(FIXTURES / "providers.full-1.10.1.yaml"))
    assert result.returncode == 0, result.stderr
    assert "OK (digest" in result.stdout
    assert "profiles (" in result.stdout
    assert "auto router" in result.stdout


def test_check_without_a_file_reports_the_embedded_default(tmp_path: Path) -> None:
    result = run_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<embedded default>: OK")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("providers: [\n", "providers.yaml", id="yaml-syntax"),
        pytest.param(
            "providers:\n  - name: a\n    base_url: http://x/v1\n    model: m\n"
            "profiles:\n  - name: default\n    providers: [b]\n",
            "profiles[0].providers[0]",
            id="unknown-provider",
        ),
    ],
)
def test_check_rejects_with_exit_2_and_one_message(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(text)
    result = run_check(tmp_path, "--config", str(path))
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_check_warns_about_an_unset_key_variable_and_still_passes(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(
        "providers:\n"
        "  - name: local\n    base_url: http://127.0.0.1:11434/v1\n    model: m\n"
        "  - name: cloud\n    base_url: https://openrouter.ai/api/v1\n    model: m\n"
        "    api_key_env: CHECK_TEST_CLOUD_KEY\n"
        "profiles:\n  - name: default\n    providers: [local, cloud]\n"
    )
    result = run_check(tmp_path, "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert "'cloud'" in result.stderr and "$CHECK_TEST_CLOUD_KEY" in result.stderr
    assert "'local'" not in result.stderr
