"""Pydantic schema and loader for providers.yaml (also used by the supervisor).

A coderouter-cli 1.10.1 providers.yaml loads unchanged and means the same thing; the only new section is
``supervisor:``. Typical use::

    path = find_config_file(flag_value, os.environ, Path.cwd(), Path.home())
    loaded = load_config(path, os.environ)   # raises ConfigError with a one-screen message
"""

from __future__ import annotations

from coderouter_supervisor.worker.config.auto_router import (
    BUNDLED_RULES,
    MATCHER_FIELDS,
    AutoRouterConfig,
    AutoRouteRule,
    RuleMatcher,
)
from coderouter_supervisor.worker.config.env import read_api_key
from coderouter_supervisor.worker.config.errors import ConfigError, ConfigProblem
from coderouter_supervisor.worker.config.loader import (
    EMBEDDED_SOURCE,
    LoadedConfig,
    embedded_config_text,
    load_config,
    parse_config,
)
from coderouter_supervisor.worker.config.profiles import AUTO_PROFILE, ProfileConfig
from coderouter_supervisor.worker.config.providers import (
    Capabilities,
    CostConfig,
    ProviderConfig,
    ProviderKind,
)
from coderouter_supervisor.worker.config.schema import CodeRouterConfig
from coderouter_supervisor.worker.config.search import CONFIG_PATH_VAR, SYSTEM_CONFIG_PATH, find_config_file
from coderouter_supervisor.worker.config.supervisor_section import ProviderTuning, SupervisorSection

__all__ = [
    "AUTO_PROFILE",
    "BUNDLED_RULES",
    "CONFIG_PATH_VAR",
    "EMBEDDED_SOURCE",
    "MATCHER_FIELDS",
    "SYSTEM_CONFIG_PATH",
    "AutoRouteRule",
    "AutoRouterConfig",
    "Capabilities",
    "CodeRouterConfig",
    "ConfigError",
    "ConfigProblem",
    "CostConfig",
    "LoadedConfig",
    "ProfileConfig",
    "ProviderConfig",
    "ProviderKind",
    "ProviderTuning",
    "RuleMatcher",
    "SupervisorSection",
    "embedded_config_text",
    "find_config_file",
    "load_config",
    "parse_config",
    "read_api_key",
]
