"""The environment variables that override providers.yaml values, as in coderouter-cli 1.10.1.

``ALLOW_PAID`` replaces ``allow_paid`` after validation; ``CODEROUTER_MODE`` replaces ``default_profile``
before validation, resolved through ``mode_aliases`` when it is not itself a profile name. An empty (or
blank) value counts as unset. The environment is always passed in as a mapping, never read from
``os.environ`` here.
"""

from __future__ import annotations

from collections.abc import Mapping

from coderouter_supervisor.worker.config.errors import ConfigError
from coderouter_supervisor.worker.config.profiles import AUTO_PROFILE
from coderouter_supervisor.worker.config.providers import ProviderConfig

ALLOW_PAID_VAR = "ALLOW_PAID"
MODE_VAR = "CODEROUTER_MODE"
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


def read_allow_paid(env: Mapping[str, str], source: str) -> bool | None:
    """The ``ALLOW_PAID`` override, or ``None`` when unset; raises ``ConfigError`` for any other word."""
    raw = env.get(ALLOW_PAID_VAR, "").strip()
    if not raw:
        return None
    word = raw.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ConfigError.single(
        source,
        f"environment variable {ALLOW_PAID_VAR}={raw!r} is not a boolean; use one of "
        f"{', '.join(_TRUE_WORDS)} (paid providers allowed) or {', '.join(_FALSE_WORDS)} (blocked)",
    )


def apply_mode_override(data: dict[str, object], env: Mapping[str, str], source: str) -> dict[str, object]:
    """``data`` with ``default_profile`` taken from ``CODEROUTER_MODE`` when it is set.

    The value is used as-is when it names a profile (or is ``auto``), else through ``mode_aliases``.
    Raises ``ConfigError`` when it is neither. ``data`` itself is not modified.
    """
    mode = env.get(MODE_VAR, "").strip()
    if not mode:
        return data
    profiles = data.get("profiles")
    names = [
        str(entry["name"])
        for entry in (profiles if isinstance(profiles, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    ]
    raw_aliases = data.get("mode_aliases")
    aliases = raw_aliases if isinstance(raw_aliases, dict) else {}
    if mode in names or mode == AUTO_PROFILE:
        return {**data, "default_profile": mode}
    if mode in aliases:
        return {**data, "default_profile": aliases[mode]}
    modes = ", ".join(str(alias) for alias in aliases) or "none declared"
    raise ConfigError.single(
        source,
        f"environment variable {MODE_VAR}={mode!r} names no profile or mode "
        f"(profiles: {', '.join(names) or 'none declared'}, or '{AUTO_PROFILE}'; modes: {modes})",
    )


def read_api_key(provider: ProviderConfig, env: Mapping[str, str]) -> str | None:
    """The provider's key from the environment, stripped; None when unset or empty."""
    if not provider.api_key_env:
        return None
    value = env.get(provider.api_key_env, "").strip()
    return value or None
