"""`coderouter-supervisor budget reset` names a ledger that exists, or refuses (no gateway needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.configs import providers_yaml
from support.gateway_process import run_cli

pytestmark = pytest.mark.integration


def test_resetting_an_unknown_provider_is_refused_with_the_names_that_exist(tmp_path: Path) -> None:
    config = tmp_path / "providers.yaml"
    budget = {"input_tokens_per_million": 1.0, "output_tokens_per_million": 1.0, "monthly_budget_usd": 5.0}
    config.write_text(
        providers_yaml(
            [
                {"name": "local", "base_url": "http://127.0.0.1:9/v1", "model": "m"},
                {"name": "metered", "base_url": "http://127.0.0.1:9/v1", "model": "m", "cost": budget},
            ],
            {"main": ["local", "metered"]},
        )
    )
    where = ("--config", str(config), "--state", str(tmp_path / "state.db"))
    created = run_cli(tmp_path, "keys", "add", "someone", "--state", str(tmp_path / "state.db"))
    assert created.returncode == 0, created.stderr  # the state file now exists

    refused = run_cli(tmp_path, "budget", "reset", "nope", "--yes", *where)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "no provider 'nope'" in refused.stderr
    assert "known: local, metered" in refused.stderr
    assert "cleared" not in refused.stdout

    cleared = run_cli(tmp_path, "budget", "reset", "metered", "--yes", *where)
    assert cleared.returncode == 0, cleared.stderr
    assert "cleared metered" in cleared.stdout
