"""What a provider's model can do, from its own ``capabilities:`` and a registry of glob rules.

The registry reads like coderouter-cli 1.10.1's ``model-capabilities.yaml`` and means the same: rules from
``~/.coderouter/model-capabilities.yaml`` come before the bundled ones, and for each flag the first rule
whose glob matches the model (and whose kind fits) *and that sets that flag* decides. So a user rule that
only says ``tools: true`` does not hide what a bundled rule says about ``thinking``.

The gate functions answer the two routing questions (can this provider think, does it keep
``cache_control``), and the request checks look at a raw Anthropic body without validating it.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coderouter_supervisor.worker.config import (
    KIND_DEFAULTS,
    ConfigError,
    ConfigProblem,
    ProviderConfig,
    ProviderKind,
    describe_yaml_value,
    format_key_path,
    problems_from_validation_error,
    read_config_text,
    read_yaml_document,
)

RuleKind = Literal["anthropic", "openai_compat", "any"]
Suitability = Literal["ok", "degraded"]

USER_REGISTRY_PATH = Path(".coderouter") / "model-capabilities.yaml"  # relative to the home directory
BUNDLED_SOURCE = "<bundled model-capabilities.yaml>"
_BUNDLED_PACKAGE = "coderouter_supervisor.worker.routing"
_BUNDLED_NAME = "model-capabilities.yaml"
_THINKING_TYPES = ("enabled", "adaptive")  # a tuple: `in` on it never raises for an unhashable value


class RegistryCapabilities(BaseModel):
    """The flags one rule sets; ``None`` means the rule says nothing about that flag."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    thinking: bool | None = None
    reasoning_passthrough: bool | None = None
    tools: bool | None = None
    max_context_tokens: int | None = Field(default=None, ge=1)
    claude_code_suitability: Suitability | None = None
    cache_control: bool | None = None


class CapabilityRule(BaseModel):
    """One ``rules:`` entry: ``match`` is an ``fnmatch`` glob over the provider's model, case-sensitive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1)
    kind: RuleKind = "any"
    capabilities: RegistryCapabilities

    def applies_to(self, model: str, kind: ProviderKind) -> bool:
        return self.kind in ("any", kind) and fnmatch.fnmatchcase(model, self.match)


class _RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    rules: tuple[CapabilityRule, ...]

    @field_validator("version", mode="before")
    @classmethod
    def _check_version(cls, value: object) -> object:
        # Checked before pydantic's own Literal check, which would also take true and 1.0 as 1.
        if isinstance(value, bool) or not isinstance(value, int) or value != 1:
            raise ValueError(f"must be 1, the only format version (got {describe_yaml_value(value)})")
        return value


# The model that owns an unknown key, by the length of its location:
# version (1), rules[i].match (3), rules[i].capabilities.thinking (4).
_OWNER_BY_DEPTH: dict[int, type[BaseModel]] = {1: _RegistryFile, 3: CapabilityRule, 4: RegistryCapabilities}


@dataclass(frozen=True)
class ModelCapabilities:
    """What the registry says about one model; ``None`` for a flag no matching rule sets."""

    thinking: bool | None = None
    reasoning_passthrough: bool | None = None
    tools: bool | None = None
    max_context_tokens: int | None = None
    claude_code_suitability: Suitability | None = None
    cache_control: bool | None = None


_FLAGS = tuple(field.name for field in dataclasses.fields(ModelCapabilities))


class CapabilityRegistry:
    """Rules in precedence order (user rules first, then bundled).

    Lookups are memoised per ``(model, kind)`` without bound: callers ask about configured providers'
    models, a small fixed set, never about model names taken from requests.
    """

    def __init__(self, rules: Sequence[CapabilityRule]) -> None:
        self.rules = tuple(rules)
        self._resolved: dict[tuple[str, ProviderKind], ModelCapabilities] = {}

    def lookup(self, model: str, kind: ProviderKind) -> ModelCapabilities:
        """Per flag, the value of the first applicable rule that sets it."""
        key = (model, kind)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolve(model, kind)
            self._resolved[key] = found
        return found

    def _resolve(self, model: str, kind: ProviderKind) -> ModelCapabilities:
        matching = [rule.capabilities for rule in self.rules if rule.applies_to(model, kind)]
        values: dict[str, Any] = {}
        for flag in _FLAGS:
            values[flag] = next(
                (value for caps in matching if (value := getattr(caps, flag)) is not None), None
            )
        return ModelCapabilities(**values)


def parse_registry(text: str, source: str) -> tuple[CapabilityRule, ...]:
    """The rules of a ``model-capabilities.yaml`` text; ``source`` names it in errors.

    Raises ``ConfigError`` (never a YAML or pydantic error) locating each problem by key path and line.
    """
    document = read_yaml_document(text, source)
    if document.data is None:
        raise ConfigError.single(source, "the file is empty; expected `version: 1` and a `rules:` list")
    if not isinstance(document.data, dict):
        raise ConfigError.single(
            source,
            "the top level must be a mapping with `version: 1` and a `rules:` list "
            f"(got {describe_yaml_value(document.data)})",
            line=1,
        )
    try:
        parsed = _RegistryFile.model_validate(document.data)
    except ValidationError as exc:
        problems = problems_from_validation_error(exc, document)
        raise ConfigError(source, _with_allowed_keys(problems, exc)) from exc
    return parsed.rules


@functools.cache
def bundled_rules() -> tuple[CapabilityRule, ...]:
    """The rules shipped with the package, parsed on first use."""
    text = resources.files(_BUNDLED_PACKAGE).joinpath(_BUNDLED_NAME).read_text(encoding="utf-8")
    return parse_registry(text, BUNDLED_SOURCE)


def load_registry(home: Path) -> CapabilityRegistry:
    """The user's rules from ``home/.coderouter/model-capabilities.yaml`` (when present), then the bundled
    ones. Raises ``ConfigError`` for a user file that is unreadable or invalid."""
    path = home / USER_REGISTRY_PATH
    if not path.exists() and not path.is_symlink():
        return CapabilityRegistry(bundled_rules())
    source = str(path)
    text = read_config_text(path, "capabilities file")
    return CapabilityRegistry((*parse_registry(text, source), *bundled_rules()))


def supports_thinking(provider: ProviderConfig, registry: CapabilityRegistry) -> bool:
    """Either source saying yes is enough: ``capabilities.thinking: false`` is also the default, so it
    cannot be told apart from "not stated" and does not override a registry yes."""
    if provider.capabilities.thinking:
        return True
    return registry.lookup(provider.model, provider.kind).thinking is True


def can_think(provider: ProviderConfig, registry: CapabilityRegistry) -> bool:
    """The one rule for "this provider can take a thinking request", for routing and ``doctor`` alike:
    declared (``capabilities.thinking`` or the registry), else for ``kind: anthropic`` every model not
    marked otherwise (a ``thinking: false`` written in its ``capabilities:`` or a registry rule), since
    Anthropic's API takes thinking on every current model and says so plainly when it does not (a 400
    that falls through), else for an OpenAI-compatible backend a ``reasoning_control`` the request
    can be translated into."""
    if supports_thinking(provider, registry):
        return True
    if KIND_DEFAULTS[provider.kind].thinks_unless_marked:
        marked_not = "thinking" in provider.capabilities.model_fields_set
        return not marked_not and registry.lookup(provider.model, provider.kind).thinking is not False
    return provider.capabilities.reasoning_control != "none"


def supports_cache_control(provider: ProviderConfig, registry: CapabilityRegistry) -> bool:
    """``capabilities.prompt_cache: true``, else what the registry says, else whether the provider speaks
    Anthropic's protocol natively (translation to OpenAI's drops the markers)."""
    if provider.capabilities.prompt_cache:
        return True
    declared = registry.lookup(provider.model, provider.kind).cache_control
    if declared is not None:
        return declared
    return KIND_DEFAULTS[provider.kind].caches_prompts


def request_wants_thinking(body: Mapping[str, Any]) -> bool:
    """Whether a raw Anthropic body asks for thinking, as ``enabled`` (with a budget) or ``adaptive``."""
    thinking = body.get("thinking")
    return isinstance(thinking, Mapping) and thinking.get("type") in _THINKING_TYPES


def request_has_cache_control(body: Mapping[str, Any]) -> bool:
    """Whether a raw Anthropic body marks any system block, tool or message content block (including
    blocks nested in a ``tool_result``) with ``cache_control``. Odd shapes count as unmarked."""
    if _any_marked(body.get("system")) or _any_marked(body.get("tools")):
        return True
    messages = body.get("messages")
    if not isinstance(messages, list):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if _any_marked(content):
            return True
        if isinstance(content, list) and any(
            isinstance(block, Mapping) and _any_marked(block.get("content")) for block in content
        ):
            return True
    return False


def _any_marked(blocks: object) -> bool:
    # A null marker marks nothing, so there is nothing for a provider to drop.
    return isinstance(blocks, list) and any(
        isinstance(block, Mapping) and block.get("cache_control") is not None for block in blocks
    )


def _with_allowed_keys(
    problems: tuple[ConfigProblem, ...], exc: ValidationError
) -> tuple[ConfigProblem, ...]:
    # The shared translator names the keys allowed by providers.yaml's models; name this file's instead.
    hints: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        owner = _OWNER_BY_DEPTH.get(len(error["loc"]))
        if error["type"] == "extra_forbidden" and owner is not None:
            hints[format_key_path(tuple(error["loc"]))] = _unknown_key(str(error["loc"][-1]), owner)
    return tuple(
        dataclasses.replace(problem, message=hints[problem.key_path])
        if problem.key_path in hints and problem.message.startswith("unknown key")
        else problem
        for problem in problems
    )


def _unknown_key(key: str, owner: type[BaseModel]) -> str:
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean '{close[0]}'?)"
    return f"unknown key (allowed here: {', '.join(allowed)})"
