"""The ``auto_router:`` section: ordered rules that pick a profile from the shape of a request.

Same schema as coderouter-cli 1.10.1. Each rule has exactly one of seven matchers; the first matching rule
wins and anything else falls through to ``default_rule_profile``. An empty ``rules`` list means
``BUNDLED_RULES``; a non-empty one replaces them. Stricter than 1.10.1: ``has_image: false`` and
``has_tools: false`` are rejected because they can never match.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MATCHER_FIELDS = (
    "has_image",
    "code_fence_ratio_min",
    "content_contains",
    "content_regex",
    "model_pattern",
    "content_token_count_min",
    "has_tools",
)
DEFAULT_RULE_PROFILE = "writing"


class RuleMatcher(BaseModel):
    """Exactly one matcher. ``content_regex`` is applied with ``re.search`` to the latest user text,
    ``model_pattern`` with ``re.fullmatch`` to the request's model; both are compiled at load."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    has_image: bool | None = None
    code_fence_ratio_min: float | None = Field(default=None, ge=0.0, le=1.0)
    content_contains: str | None = None
    content_regex: str | None = None
    model_pattern: str | None = None
    content_token_count_min: int | None = Field(default=None, ge=1)
    has_tools: bool | None = None

    @field_validator("has_image", "has_tools")
    @classmethod
    def _reject_false(cls, value: bool | None) -> bool | None:
        if value is False:
            raise ValueError("false can never match (only true does); delete the rule to stop using it")
        return value

    @field_validator("content_regex", "model_pattern")
    @classmethod
    def _compile_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> RuleMatcher:
        chosen = self.matcher_names()
        if len(chosen) != 1:
            got = (
                "none"
                if not chosen
                else f"{len(chosen)} ({', '.join(chosen)}); split them into separate rules"
            )
            raise ValueError(f"set exactly one matcher of {', '.join(MATCHER_FIELDS)}; got {got}")
        return self

    def matcher_names(self) -> tuple[str, ...]:
        """The names of the matchers that are set (exactly one on a validated instance)."""
        return tuple(name for name in MATCHER_FIELDS if getattr(self, name) is not None)


class AutoRouteRule(BaseModel):
    """``id`` labels the rule in logs (by convention ``builtin:...`` or ``user:...``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    profile: str
    match: RuleMatcher


class AutoRouterConfig(BaseModel):
    """``disabled: true`` always routes to ``default_rule_profile``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disabled: bool = False
    rules: tuple[AutoRouteRule, ...] = ()
    default_rule_profile: str = DEFAULT_RULE_PROFILE

    def effective_rules(self) -> tuple[AutoRouteRule, ...]:
        """The rules the router evaluates: the declared ones, or ``BUNDLED_RULES`` when none are declared."""
        return self.rules or BUNDLED_RULES


BUNDLED_RULES: tuple[AutoRouteRule, ...] = (
    AutoRouteRule(id="builtin:image-attachment", profile="multi", match=RuleMatcher(has_image=True)),
    AutoRouteRule(
        id="builtin:code-fence-dense", profile="coding", match=RuleMatcher(code_fence_ratio_min=0.3)
    ),
)
"""The rules used when ``default_profile: auto`` and no rules are declared (as in coderouter-cli 1.10.1)."""
