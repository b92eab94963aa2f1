"""The auto router: pick a profile from the shape of a raw request (pure).

Works on the request body exactly as received, Anthropic Messages or OpenAI Chat Completions,
so both ingresses share it. Unexpected types anywhere in the body count as absent; nothing here
raises on a body that parsed as JSON. Same matchers and order as coderouter-cli 1.10.1, except that
``estimated_tokens`` counts the whole request (tool definitions, tool calls and tool results too):
the peer counted text only, so a tool-heavy agent turn never crossed ``content_token_count_min``.

Typical use at an ingress::

    route = classify(body, config.auto_router)
    name, fields = route.event()
    emit_event(name, **fields)
    profile = config.profile(route.profile)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from coderouter_supervisor.worker.config import (
    BUNDLED_RULES,
    DEFAULT_RULE_PROFILE,
    AutoRouterConfig,
    RuleMatcher,
)
from coderouter_supervisor.worker.translate import estimate_tokens

__all__ = ["AutoRoute", "RequestSignals", "classify", "request_signals"]

_CODE_FENCE = re.compile(r"```[\s\S]*?```")
_IMAGE_TYPES = frozenset({"image", "image_url", "input_image"})


@dataclass(frozen=True)
class RequestSignals:
    """What the matchers look at, computed once per request."""

    has_image: bool
    code_fence_ratio: float
    content_len: int
    model: str | None
    estimated_tokens: int
    has_tools: bool
    # Kept out of repr so logging the signals by accident cannot leak the user's prompt.
    latest_user_text: str = field(repr=False)

    def as_event_fields(self) -> dict[str, object]:
        """The signals as log fields; never includes the text."""
        return {
            "has_image": self.has_image,
            "code_fence_ratio": round(self.code_fence_ratio, 3),
            "content_len": self.content_len,
            "model": self.model,
            "estimated_tokens": self.estimated_tokens,
            "has_tools": self.has_tools,
        }


@dataclass(frozen=True)
class AutoRoute:
    """The decision: ``rule_id`` is None when no rule matched or the router is disabled."""

    profile: str
    rule_id: str | None
    signals: RequestSignals
    disabled: bool = False

    def event(self) -> tuple[Literal["auto-router-resolved", "auto-router-fallthrough"], dict[str, object]]:
        """The structured event (name, fields) the caller emits for this decision."""
        signals = self.signals.as_event_fields()
        if self.rule_id is not None:
            return "auto-router-resolved", {
                "rule_id": self.rule_id,
                "resolved_profile": self.profile,
                "signals": signals,
            }
        return "auto-router-fallthrough", {
            "resolved_profile": self.profile,
            "signals": {**signals, "disabled": self.disabled},
        }


def _latest_user_content(body: Mapping[str, Any]) -> object:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message.get("content")
    return None


def _blocks(content: object) -> list[dict[str, Any]]:
    if not isinstance(content, list):
        return []
    return [block for block in content if isinstance(block, dict)]


def _is_image(block: dict[str, Any]) -> bool:
    kind = block.get("type")
    # The str check first: an unhashable ``type`` (a list, an object) would raise on set membership.
    return isinstance(kind, str) and kind in _IMAGE_TYPES


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(
        block["text"]
        for block in _blocks(content)
        if block.get("type") == "text" and isinstance(block.get("text"), str)
    )


def _non_empty_list(value: object) -> bool:
    return isinstance(value, list) and len(value) > 0


def request_signals(body: Mapping[str, Any]) -> RequestSignals:
    """Signals of a raw Anthropic or OpenAI request body; total over any JSON object."""
    content = _latest_user_content(body)
    text = _text_of(content)
    fenced = sum(len(match.group(0)) for match in _CODE_FENCE.finditer(text))
    model = body.get("model")
    return RequestSignals(
        has_image=any(_is_image(block) for block in _blocks(content)),
        code_fence_ratio=fenced / len(text) if text else 0.0,
        content_len=len(text),
        model=model if isinstance(model, str) and model else None,
        estimated_tokens=estimate_tokens(dict(body)),
        has_tools=_non_empty_list(body.get("tools")) or _non_empty_list(body.get("functions")),
        latest_user_text=text,
    )


# The config validator already proved each pattern compiles; this keeps it from being recompiled per request.
@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _model_fullmatches(pattern: str, model: str | None) -> bool:
    return model is not None and _compiled(pattern).fullmatch(model) is not None


# One predicate per RuleMatcher field: (the field's value, signals) -> matched.
_PREDICATES: dict[str, Callable[[Any, RequestSignals], bool]] = {
    "has_image": lambda wanted, signals: wanted is True and signals.has_image,
    "code_fence_ratio_min": lambda minimum, signals: signals.code_fence_ratio >= minimum,
    "content_contains": lambda needle, signals: needle in signals.latest_user_text,
    "content_regex": lambda pattern, signals: _compiled(pattern).search(signals.latest_user_text) is not None,
    "model_pattern": lambda pattern, signals: _model_fullmatches(pattern, signals.model),
    "content_token_count_min": lambda minimum, signals: signals.estimated_tokens >= minimum,
    "has_tools": lambda wanted, signals: wanted is True and signals.has_tools,
}


def _matches(matcher: RuleMatcher, signals: RequestSignals) -> bool:
    # A validated matcher sets exactly one field; the guard keeps an empty one from matching everything.
    names = matcher.matcher_names()
    return bool(names) and all(_PREDICATES[name](getattr(matcher, name), signals) for name in names)


def classify(body: Mapping[str, Any], router: AutoRouterConfig | None) -> AutoRoute:
    """Route a raw request: the first matching rule's profile, else the default rule profile.

    ``router=None`` (no ``auto_router:`` section) means ``BUNDLED_RULES`` falling through to
    ``DEFAULT_RULE_PROFILE``. A disabled router evaluates no rule; the signals are still computed
    so the fallthrough event describes the request.
    """
    signals = request_signals(body)
    if router is None:
        rules, default = BUNDLED_RULES, DEFAULT_RULE_PROFILE
    else:
        if router.disabled:
            return AutoRoute(router.default_rule_profile, None, signals, disabled=True)
        rules, default = router.effective_rules(), router.default_rule_profile
    for rule in rules:
        if _matches(rule.match, signals):
            return AutoRoute(rule.profile, rule.id, signals)
    return AutoRoute(default, None, signals)
