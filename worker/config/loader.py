"""Load a providers.yaml (or the embedded default) into a validated ``CodeRouterConfig``.

Everything a user can get wrong comes out as ``ConfigError``: unreadable file, YAML syntax, schema,
references, environment overrides. Nothing here reads ``os.environ``; callers pass the environment in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from coderouter_supervisor.worker.config.env import apply_mode_override, read_allow_paid
from coderouter_supervisor.worker.config.errors import ConfigError
from coderouter_supervisor.worker.config.schema import CodeRouterConfig
from coderouter_supervisor.worker.config.validation_errors import problems_from_validation_error
from coderouter_supervisor.worker.config.yaml_document import describe_yaml_value, read_yaml_document

EMBEDDED_SOURCE = "<embedded default>"
_EMBEDDED_PACKAGE = "coderouter_supervisor.etc"
_EMBEDDED_NAME = "providers.yaml"
_DIGEST_LENGTH = 12


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config and where it came from.

    ``source`` is the file path as given, or ``EMBEDDED_SOURCE``; ``text`` is the raw YAML; ``digest`` is
    the first 12 hex digits of the text's sha256 (it identifies the file, not the environment overrides).
    """

    config: CodeRouterConfig
    source: str
    text: str
    digest: str


def embedded_config_text() -> str:
    """The default providers.yaml shipped inside the package."""
    return resources.files(_EMBEDDED_PACKAGE).joinpath(_EMBEDDED_NAME).read_text(encoding="utf-8")


def read_config_text(path: Path, noun: str) -> str:
    """The text of a config file; raises ``ConfigError`` naming ``path`` when it cannot be read."""
    source = str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError.single(source, f"{noun} not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError.single(source, f"is a directory, not a {noun}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError.single(source, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError.single(source, f"cannot read: {exc.strerror or exc}") from exc


def load_config(path: Path | None, env: Mapping[str, str]) -> LoadedConfig:
    """Load ``path``, or the embedded default when ``path`` is ``None``; raises ``ConfigError``."""
    if path is None:
        return parse_config(embedded_config_text(), EMBEDDED_SOURCE, env)
    source = str(path)
    text = read_config_text(path, "config file")
    return parse_config(text, source, env)


def parse_config(text: str, source: str, env: Mapping[str, str]) -> LoadedConfig:
    """Validate ``text`` (YAML) with the overrides from ``env``; ``source`` names it in error messages.

    Raises ``ConfigError`` for any problem, never a YAML or pydantic exception.
    """
    allow_paid = read_allow_paid(env, source)
    document = read_yaml_document(text, source)
    data = document.data
    if data is None:
        raise ConfigError.single(
            source, "the file is empty; expected a mapping with providers: and profiles:"
        )
    if not isinstance(data, dict):
        raise ConfigError.single(
            source,
            "the top level must be a mapping with providers: and profiles: "
            f"(got {describe_yaml_value(data)})",
            line=1,
        )
    data = apply_mode_override(data, env, source)
    try:
        config = CodeRouterConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems_from_validation_error(exc, document)) from exc
    if allow_paid is not None:
        config = config.model_copy(update={"allow_paid": allow_paid})
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_DIGEST_LENGTH]
    return LoadedConfig(config=config, source=source, text=text, digest=digest)
