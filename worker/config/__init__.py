"""Pydantic schema and loader for providers.yaml (also used by the supervisor).

A coderouter-cli 1.10.1 providers.yaml loads unchanged and means the same thing; the only new section is
``supervisor:``. Typical use::

    path = find_config_file(flag_value, os.environ, Path.cwd(), Path.home())
    loaded = load_config(path, os.environ)   # raises ConfigError with a one-screen message
"""

from __future__ import annotations

from coderouter_supervisor.worker.config.auto_router import (
    BUNDLED_RULES,
    DEFAULT_RULE_PROFILE,
    MATCHER_FIELDS,
    AutoRouterConfig,
    AutoRouteRule,
    RuleMatcher,
)
from coderouter_supervisor.worker.config.env import read_api_key
from coderouter_supervisor.worker.config.errors import ConfigError, ConfigProblem, format_key_path
from coderouter_supervisor.worker.config.loader import (
    EMBEDDED_SOURCE,
    LoadedConfig,
    embedded_config_text,
    load_config,
    parse_config,
    read_config_text,
)
from coderouter_supervisor.worker.config.profiles import AUTO_PROFILE, ProfileConfig
from coderouter_supervisor.worker.config.providers import (
    KIND_DEFAULTS,
    Capabilities,
    CostConfig,
    KindDefaults,
    ProviderConfig,
    ProviderKind,
)
from coderouter_supervisor.worker.config.schema import CodeRouterConfig
from coderouter_supervisor.worker.config.search import CONFIG_PATH_VAR, SYSTEM_CONFIG_PATH, find_config_file
from coderouter_supervisor.worker.config.supervisor_section import (
    DEFAULT_MAX_BODY_MIB,
    DEFAULT_MAX_UPSTREAM_ANSWER_MIB,
    ProviderTuning,
    SupervisorSection,
)
from coderouter_supervisor.worker.config.validation_errors import problems_from_validation_error
from coderouter_supervisor.worker.config.yaml_document import describe_yaml_value, read_yaml_document

__all__ = [
    "AUTO_PROFILE",
    "BUNDLED_RULES",
    "CONFIG_PATH_VAR",
    "DEFAULT_MAX_BODY_MIB",
    "DEFAULT_MAX_UPSTREAM_ANSWER_MIB",
    "DEFAULT_RULE_PROFILE",
    "EMBEDDED_SOURCE",
    "KIND_DEFAULTS",
    "MATCHER_FIELDS",
    "SYSTEM_CONFIG_PATH",
    "AutoRouteRule",
    "AutoRouterConfig",
    "Capabilities",
    "CodeRouterConfig",
    "ConfigError",
    "ConfigProblem",
    "CostConfig",
    "KindDefaults",
    "LoadedConfig",
    "ProfileConfig",
    "ProviderConfig",
    "ProviderKind",
    "ProviderTuning",
    "RuleMatcher",
    "SupervisorSection",
    "describe_yaml_value",
    "embedded_config_text",
    "find_config_file",
    "format_key_path",
    "load_config",
    "parse_config",
    "problems_from_validation_error",
    "read_api_key",
    "read_config_text",
    "read_yaml_document",
]
