"""The real Claude Code CLI, installed from the npm registry and run offline against a base URL."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.npm_cli import CLAUDE_CODE


@dataclass
class ClaudeRun:
    returncode: int
    result: dict[str, Any]
    stderr: str


def run_claude(
    base_url: str,
    prompt: str,
    home: Path,
    *args: str,
    api_key: str = "sk-client-test",
    headers: dict[str, str] | None = None,
    timeout: float = 120,
) -> ClaudeRun:
    """``claude -p PROMPT --output-format json`` with a fresh HOME and no traffic but to ``base_url``.

    ``headers`` are sent on every call through ``ANTHROPIC_CUSTOM_HEADERS`` (how a user picks a
    gateway profile from Claude Code).
    """
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": api_key,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
    }
    if headers:
        env["ANTHROPIC_CUSTOM_HEADERS"] = "\n".join(f"{name}: {value}" for name, value in headers.items())
    completed = subprocess.run(
        [str(CLAUDE_CODE.binary()), "-p", prompt, "--output-format", "json", *args],
        env=env,
        cwd=home,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        result = json.loads(completed.stdout.strip().splitlines()[-1]) if completed.stdout.strip() else {}
    except (json.JSONDecodeError, IndexError):
        result = {"unparsed_stdout": completed.stdout}
    return ClaudeRun(completed.returncode, result, completed.stderr)
