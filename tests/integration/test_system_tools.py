"""A test run on a box without the system programs some tests need says so before running them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_TESTS = "tests/integration/test_dashboard.py"


def run_pytest_without_programs(tmp_path: Path, *args: str) -> str:
    """pytest on this repo with an empty PATH: no chromium, no npm."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=REPO,
        env={"PATH": str(empty), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout + done.stderr


def test_collection_names_the_missing_program_its_tests_and_the_packages(tmp_path: Path) -> None:
    output = run_pytest_without_programs(tmp_path, "--collect-only", "-q", DASHBOARD_TESTS)

    assert f"MISSING chromium (renders the dashboard): {DASHBOARD_TESTS} will fail at once" in output
    assert "install with `apt-get install chromium`" in output


def test_a_test_needing_a_missing_program_fails_at_setup_saying_what_to_install(tmp_path: Path) -> None:
    output = run_pytest_without_programs(tmp_path, "-q", DASHBOARD_TESTS, "-k", "renders")

    assert "ERROR at setup of test_dashboard_renders_the_aggregate_and_follows_the_traffic" in output
    assert "missing system programs: chromium (renders the dashboard)" in output
    assert "`apt-get install chromium`" in output
    assert "1 error" in output and "skipped" not in output
