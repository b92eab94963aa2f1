from __future__ import annotations

import pytest

from coderouter_supervisor.supervisor.lifecycle.reload import _process_settings
from coderouter_supervisor.worker.config import LoadedConfig, parse_config

BASE = """\
providers:
  - name: ollama
    base_url: http://127.0.0.1:11434/v1
    model: qwen3-coder:30b
profiles:
  - name: default
    providers: [ollama]
default_profile: default
"""


def _loaded(supervisor: str = "") -> LoadedConfig:
    return parse_config(BASE + supervisor, "providers.yaml", {})


@pytest.mark.parametrize(
    ("section", "needs_restart"),
    [
        pytest.param("supervisor:\n  max_upstream_answer_mib: 4\n", False, id="answer-limit"),
        pytest.param("supervisor:\n  max_body_mib: 8\n", False, id="body-limit"),
        pytest.param("supervisor:\n  port: 9000\n", True, id="port"),
    ],
)
def test_what_a_reload_applies_without_a_restart(section: str, needs_restart: bool) -> None:
    assert (_process_settings(_loaded(section)) != _process_settings(_loaded())) is needs_restart
