"""Where the state file lives by default."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def default_state_path(env: Mapping[str, str], home: Path) -> Path:
    """``$STATE_DIRECTORY/state.db`` under systemd, else ``$XDG_STATE_HOME/coderouter/state.db``,
    i.e. ``~/.local/state/coderouter/state.db``.

    systemd sets ``STATE_DIRECTORY`` for a unit with ``StateDirectory=`` (a colon-separated list when
    several are declared; the first is ours). Relative values of either variable are ignored.
    """
    systemd_dirs = [p for p in env.get("STATE_DIRECTORY", "").split(":") if Path(p.strip()).is_absolute()]
    if systemd_dirs:
        return Path(systemd_dirs[0].strip()) / "state.db"
    xdg = env.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "state"
    return base / "coderouter" / "state.db"
