"""The real Codex CLI, installed from the npm registry and run offline against a base URL.

How it is pointed at a gateway and what it sends are in ``shared/reference/codex-wire.md``:
a private ``CODEX_HOME`` whose ``config.toml`` names one provider with ``wire_api = "responses"``,
and ``codex exec`` for one non-interactive turn.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.npm_cli import CODEX

# The variable Codex reads the key from (``env_key``); it sends ``Authorization: Bearer <key>``.
_KEY_VARIABLE = "GW_KEY"


def _toml_string(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value)


def codex_config(base_url: str, model: str) -> str:
    """``config.toml`` for one gateway provider; retries off so a failing test fails at once."""
    return "\n".join(
        [
            f"model = {_toml_string(model)}",
            'model_provider = "gateway"',
            "request_max_retries = 0",
            "stream_max_retries = 0",
            "",
            "[model_providers.gateway]",
            'name = "gateway"',
            f"base_url = {_toml_string(base_url)}",
            f"env_key = {_toml_string(_KEY_VARIABLE)}",
            'wire_api = "responses"',
            "",
        ]
    )


@dataclass
class CodexRun:
    returncode: int
    last_message: str  # what Codex printed as its answer; empty when it got none
    events: list[dict[str, Any]]  # the ``--json`` event lines
    stderr: str


def run_codex(
    base_url: str,
    prompt: str,
    home: Path,
    *args: str,
    api_key: str = "sk-client-test",
    model: str = "gateway-model",
    sandbox: str | None = "workspace-write",
    timeout: float = 120,
) -> CodexRun:
    """``codex exec --json PROMPT`` with a fresh HOME and CODEX_HOME and no traffic but to ``base_url``.

    ``base_url`` ends in ``/v1`` (Codex posts to ``{base_url}/responses``). Commands run in
    ``home/work``; ``sandbox=None`` passes ``--dangerously-bypass-approvals-and-sandbox``.
    Check ``last_message``, not only the exit code: Codex exits 0 with an empty answer when a
    stream lacks ``response.output_item.done``.
    """
    codex_home = home / "codex-home"
    workdir = home / "work"
    codex_home.mkdir(parents=True, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    (codex_home / "config.toml").write_text(codex_config(base_url, model))
    last_message = home / "last-message.txt"
    isolation = ["--sandbox", sandbox] if sandbox else ["--dangerously-bypass-approvals-and-sandbox"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CODEX_HOME": str(codex_home),
        _KEY_VARIABLE: api_key,
    }
    completed = subprocess.run(
        [
            str(CODEX.binary()),
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--color",
            "never",
            "-C",
            str(workdir),
            "-o",
            str(last_message),
            *isolation,
            *args,
            prompt,
        ],
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,  # with a pipe for stdin, codex exec waits to read more prompt from it
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    events = []
    for line in completed.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    answer = last_message.read_text().strip() if last_message.exists() else ""
    return CodexRun(completed.returncode, answer, events, completed.stderr)


def codex_version() -> str:
    """What ``codex --version`` prints (``codex-cli 0.171.0``)."""
    completed = subprocess.run(
        [str(CODEX.binary()), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    return completed.stdout.strip()
