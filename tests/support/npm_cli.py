"""Command-line programs the end-to-end tests install from the npm registry, pinned.

Each is installed into the repo's ``.cache`` on first use (``npm install --prefix``), so a run
needs the registry once; an environment variable can name an existing install instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CACHE_ROOT = Path(__file__).resolve().parents[2] / ".cache"


@dataclass(frozen=True)
class NpmCLI:
    package: str
    version: str  # pinned so a new release cannot change what the tests mean; bump deliberately
    program: str
    cache_name: str
    override_env: str  # names an existing executable instead

    @property
    def cache(self) -> Path:
        return CACHE_ROOT / self.cache_name

    @property
    def installed(self) -> Path:
        return self.cache / "node_modules" / ".bin" / self.program

    def installable(self) -> bool:
        """Whether :meth:`binary` can succeed: an install is named or already there, or npm is here."""
        return bool(os.environ.get(self.override_env) or self.installed.exists() or shutil.which("npm"))

    def binary(self) -> Path:
        """The executable, installed from the registry on first use."""
        configured = os.environ.get(self.override_env)
        if configured:
            return Path(configured)
        if not self.installed.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError(f"npm is needed to install {self.package} for the end-to-end tests")
            self.cache.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(self.cache),
                    f"{self.package}@{self.version}",
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
        return self.installed


CLAUDE_CODE = NpmCLI("@anthropic-ai/claude-code", "2.1.197", "claude", "claude-code", "CLAUDE_CODE_BIN")
CODEX = NpmCLI("@openai/codex", "0.171.0", "codex", "codex", "CODEX_BIN")
