"""Where the providers.yaml comes from.

Search order, first hit wins: the explicit path (``--config``), ``$CODEROUTER_CONFIG``,
``<cwd>/providers.yaml``, ``<home>/.coderouter/providers.yaml``, ``/etc/coderouter/providers.yaml``, and
finally the embedded default shipped in the package. A path the user named (flag or variable) must exist;
the conventional locations are simply skipped when absent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from coderouter_supervisor.worker.config.errors import ConfigError

CONFIG_PATH_VAR = "CODEROUTER_CONFIG"
CONFIG_FILE_NAME = "providers.yaml"
SYSTEM_CONFIG_PATH = Path("/etc/coderouter") / CONFIG_FILE_NAME


def find_config_file(
    explicit: str | os.PathLike[str] | None,
    env: Mapping[str, str],
    cwd: Path,
    home: Path,
    *,
    system_path: Path = SYSTEM_CONFIG_PATH,
) -> Path | None:
    """The config file to load, or ``None`` for the embedded default.

    Relative paths are taken relative to ``cwd`` and a leading ``~`` means ``home``, so the result does not
    depend on the process's own working directory. Raises ``ConfigError`` when the explicit path or
    ``$CODEROUTER_CONFIG`` does not name an existing file; an empty variable counts as unset.
    """
    if explicit is not None:
        return _named_file(os.fspath(explicit), cwd, home, source=os.fspath(explicit), named_by="--config")
    from_env = env.get(CONFIG_PATH_VAR, "").strip()
    if from_env:
        return _named_file(from_env, cwd, home, source=from_env, named_by=f"${CONFIG_PATH_VAR}")
    for candidate in (cwd / CONFIG_FILE_NAME, home / ".coderouter" / CONFIG_FILE_NAME, system_path):
        if candidate.is_file():
            return candidate
    return None


def _named_file(raw: str, cwd: Path, home: Path, *, source: str, named_by: str) -> Path:
    path = _expand(raw, cwd, home)
    if not path.exists():
        raise ConfigError.single(source, f"config file not found (named by {named_by})")
    if not path.is_file():
        raise ConfigError.single(source, f"not a regular file (named by {named_by})")
    return path


def _expand(raw: str, cwd: Path, home: Path) -> Path:
    if raw == "~" or raw.startswith("~/"):
        return home / raw[2:]
    return cwd / raw
