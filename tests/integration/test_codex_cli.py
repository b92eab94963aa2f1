"""The real Codex CLI, installed by the test setup from npm as shipped, at the pinned version."""

from __future__ import annotations

import pytest

from support.codex import codex_version
from support.npm_cli import CODEX

pytestmark = [pytest.mark.integration, pytest.mark.requires("codex")]


def test_the_pinned_codex_cli_installs_and_runs() -> None:
    assert codex_version() == f"codex-cli {CODEX.version}"
