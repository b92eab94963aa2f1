"""Where the state file lives by default."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def default_state_path(env: Mapping[str, str], home: Path) -> Path:
    """``$XDG_STATE_HOME/coderouter/state.db``, i.e. ``~/.local/state/coderouter/state.db``."""
    xdg = env.get("XDG_STATE_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "state"
    return base / "coderouter" / "state.db"
