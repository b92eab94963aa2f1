"""One upstream provider: where it is, which model it serves, what it can do and what it costs.

Field names, defaults and ranges are those of coderouter-cli 1.10.1 (``providers:`` entries), so an old
providers.yaml means the same thing here. Two checks are stricter: ``base_url`` must be an http(s) URL and
``api_key_env`` must look like an environment variable name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

OutputFilterName = Literal["strip_thinking", "strip_stop_markers"]
ProviderKind = Literal["openai_compat", "anthropic", "openai_responses"]


@dataclass(frozen=True)
class KindDefaults:
    """What a provider kind's API does when neither the provider's ``capabilities:`` nor the
    capability registry says: take thinking on every model, honour ``cache_control`` markers."""

    thinks_unless_marked: bool
    caches_prompts: bool


KIND_DEFAULTS: dict[ProviderKind, KindDefaults] = {
    # Anthropic's API takes thinking on every current model and says so plainly when it does not
    # (a 400 that falls through); translation to OpenAI's protocol drops the cache markers.
    "anthropic": KindDefaults(thinks_unless_marked=True, caches_prompts=True),
    "openai_compat": KindDefaults(thinks_unless_marked=False, caches_prompts=False),
    # OpenAI's Responses API caches prompts by itself; it takes no cache markers.
    "openai_responses": KindDefaults(thinks_unless_marked=False, caches_prompts=False),
}

_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Capabilities(BaseModel):
    """What a provider supports. Only ``thinking``, ``prompt_cache`` and ``reasoning_passthrough`` change
    routing; the rest are declarative (shown by diagnostics)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chat: bool = True
    streaming: bool = True
    tools: bool = False
    vision: bool = False
    prompt_cache: bool = False
    thinking: bool = False
    reasoning_passthrough: bool = False
    reasoning_control: Literal["none", "openai", "anthropic", "provider_specific"] = "none"
    mcp: Literal["none", "anthropic", "provider_specific"] = "none"
    openai_compatible: bool = True


class CostConfig(BaseModel):
    """USD prices per million tokens and an optional per-provider monthly cap (UTC calendar month).

    ``None`` prices mean "unpriced"; ``monthly_budget_usd: None`` means no cap.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_tokens_per_million: float | None = Field(default=None, ge=0.0)
    output_tokens_per_million: float | None = Field(default=None, ge=0.0)
    cache_read_discount: float = Field(default=0.10, ge=0.0, le=1.0)
    cache_creation_premium: float = Field(default=1.25, ge=0.0)
    monthly_budget_usd: float | None = Field(default=None, ge=0.0)


class ProviderConfig(BaseModel):
    """One ``providers:`` entry.

    ``base_url`` is kept as written minus trailing slashes (``http://host:11434/v1``); openai_compat
    providers expect it to include ``/v1``. ``api_key_env`` names the variable holding the key, which is
    read per request so keys can rotate without a restart.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    kind: ProviderKind = "openai_compat"
    base_url: str
    model: str
    api_key_env: str | None = None
    paid: bool = False
    timeout_s: float = Field(default=30.0, ge=1.0, le=600.0)
    extra_body: dict[str, object] = Field(default_factory=dict)
    append_system_prompt: str | None = None
    output_filters: tuple[OutputFilterName, ...] = ()
    capabilities: Capabilities = Field(default_factory=Capabilities)
    cost: CostConfig | None = None

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value.strip())
            port_ok = parts.port is None or parts.port > 0
        except ValueError as exc:
            raise ValueError(f"is not a valid URL: {exc}") from exc
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
            raise ValueError(
                f"must be an http:// or https:// URL such as http://127.0.0.1:11434/v1 (got {value!r})"
            )
        return value.strip().rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _check_api_key_env(cls, value: str | None) -> str | None:
        # Never echo the value: the usual mistake is pasting the key itself here.
        if value is not None and not _ENV_VAR_NAME.fullmatch(value):
            raise ValueError(
                "must be the NAME of an environment variable (letters, digits, '_'), such as "
                "OPENROUTER_API_KEY, not the key itself"
            )
        return value
