"""System programs some integration tests run, and the Debian packages that provide them.

A test that needs one is marked ``@pytest.mark.requires("chromium")``. When a program is absent the
run says so right after collection, and each test needing it fails at setup with what to install,
instead of failing late and obscurely. ``.ci/run`` installs these packages.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from support.npm_cli import CLAUDE_CODE, CODEX


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def postgres_bin_dir() -> Path | None:
    """Where ``initdb`` and ``postgres`` are: beside an ``initdb`` on PATH, else Debian's versioned
    directory (the newest)."""
    on_path = shutil.which("initdb")
    if on_path is not None:
        return Path(on_path).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_major_version)
    return candidates[-1].parent if candidates else None


def _major_version(initdb: Path) -> int:
    version = initdb.parts[-3]
    return int(version) if version.isdigit() else 0


@dataclass(frozen=True)
class SystemTool:
    program: str
    packages: tuple[str, ...]  # Debian's
    purpose: str
    present: Callable[[], bool]


TOOLS: dict[str, SystemTool] = {
    "chromium": SystemTool(
        "chromium", ("chromium",), "renders the dashboard", lambda: find_chromium() is not None
    ),
    "postgresql": SystemTool(
        "postgres",
        ("postgresql",),
        "runs a throwaway PostgreSQL server for the state backend tests",
        lambda: postgres_bin_dir() is not None,
    ),
    "npm": SystemTool("npm", ("nodejs", "npm"), "installs the real Claude Code CLI", CLAUDE_CODE.installable),
    "codex": SystemTool("npm", ("nodejs", "npm"), "installs the real Codex CLI", CODEX.installable),
}


def missing_tools(names: Iterable[str]) -> list[SystemTool]:
    """The tools among ``names`` that are not available here. Raises ``KeyError`` on an unknown name."""
    return [TOOLS[name] for name in dict.fromkeys(names) if not TOOLS[name].present()]


def install_hint(tools: Iterable[SystemTool]) -> str:
    packages = dict.fromkeys(package for tool in tools for package in tool.packages)
    return f"apt-get install {' '.join(packages)}"


def missing_message(tools: list[SystemTool]) -> str:
    described = ", ".join(f"{tool.program} ({tool.purpose})" for tool in tools)
    return f"missing system programs: {described}; install them with `{install_hint(tools)}`"
