"""A gateway in front of three fake upstreams and a dead port, with profiles per routing feature.

Providers: ``primary`` and ``backup`` (OpenAI-compatible fakes), ``claude-paid`` (Anthropic fake,
``paid: true``), ``thinker`` (the same Anthropic fake, free, a model that can think), ``dead``
(nothing listens), ``metered`` (the primary fake, priced at $1 per token with an $80 monthly cap),
``priced-claude`` (the Anthropic fake at Sonnet list prices, no cap).
Stateless tests share one gateway per module (``lab``); tests of provider facts (budget, health,
cooldown, adaptive order) start their own (``fresh_lab``), since facts are per provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.fake_upstream import FakeUpstream
from support.gateway_process import DEBUG_EVENTS, Gateway, free_port, start_gateway

PER_TOKEN = {"input_tokens_per_million": 1_000_000, "output_tokens_per_million": 1_000_000}
# A "hello" request with max_tokens 16 holds $52.25 (29 input tokens of bound at the cache-write
# rate, 16 out) and costs $19 (12 in, 7 out): two fit under $80, a third does not.
BUDGET_USD = 80

PROFILES: dict[str, dict[str, Any]] = {
    "fallback": {"providers": ["primary", "backup"]},
    "dead-first": {"providers": ["dead", "backup"]},
    "paid-first": {"providers": ["claude-paid", "backup"]},
    "paid-only": {"providers": ["claude-paid"]},
    "thinking": {"providers": ["primary", "thinker"]},
    "loop-warn": {"providers": ["backup"], "tool_loop_action": "warn"},
    "loop-inject": {"providers": ["backup"], "tool_loop_action": "inject"},
    "loop-break": {"providers": ["backup"], "tool_loop_action": "break"},
    "budget": {"providers": ["metered", "backup"]},
    "budget-only": {"providers": ["metered"]},
    "cooldown": {"providers": ["primary", "backup"], "memory_pressure_action": "skip"},
    "health": {
        "providers": ["primary", "backup"],
        "backend_health_action": "demote",
        "backend_health_threshold": 2,
    },
    "adaptive": {"providers": ["primary", "backup"], "adaptive": True},
    "priced": {"providers": ["priced-claude"]},
}
# Anthropic's list prices for a Sonnet-class model, USD per million tokens.
SONNET_PRICES = {"input_tokens_per_million": 3.0, "output_tokens_per_million": 15.0}


@dataclass
class Lab:
    gateway: Gateway
    primary: FakeUpstream
    backup: FakeUpstream
    claude: FakeUpstream

    def reset(self) -> None:
        for upstream in (self.primary, self.backup, self.claude):
            upstream.reset()


def lab_config(primary: FakeUpstream, backup: FakeUpstream, claude: FakeUpstream, **top: Any) -> str:
    providers = [
        {"name": "primary", "base_url": primary.openai_base_url, "model": "primary-model", "timeout_s": 2},
        {"name": "backup", "base_url": backup.openai_base_url, "model": "backup-model"},
        {
            "name": "claude-paid",
            "kind": "anthropic",
            "base_url": claude.anthropic_base_url,
            "model": "claude-sonnet-4-6",
            "paid": True,
        },
        {
            "name": "thinker",
            "kind": "anthropic",
            "base_url": claude.anthropic_base_url,
            "model": "claude-sonnet-4-6",
        },
        {
            "name": "priced-claude",
            "kind": "anthropic",
            "base_url": claude.anthropic_base_url,
            "model": "claude-sonnet-4-6",
            "cost": SONNET_PRICES,
        },
        {"name": "dead", "base_url": f"http://127.0.0.1:{free_port()}/v1", "model": "nothing"},
        {
            "name": "metered",
            "base_url": primary.openai_base_url,
            "model": "metered-model",
            "cost": {**PER_TOKEN, "monthly_budget_usd": BUDGET_USD},
        },
    ]
    document = {
        "default_profile": "fallback",
        **top,
        "providers": providers,
        "profiles": [{"name": name, **spec} for name, spec in PROFILES.items()],
    }
    return yaml.safe_dump(document, sort_keys=False)


def start_lab(stack: ExitStack, home: Path, **top: Any) -> Lab:
    """Fakes and a gateway whose shutdown is registered on ``stack``; ``top`` adds top-level keys."""
    primary = stack.enter_context(FakeUpstream("primary-model"))
    backup = stack.enter_context(FakeUpstream("backup-model"))
    claude = stack.enter_context(FakeUpstream("claude-sonnet-4-6"))
    # At debug: tests read the per-attempt events (cache-observed) of served requests.
    gateway = start_gateway(home, config_text=lab_config(primary, backup, claude, **top), env=DEBUG_EVENTS)
    stack.callback(_stop, gateway)
    return Lab(gateway, primary, backup, claude)


def _stop(gateway: Gateway) -> None:
    gateway.shut_down()


@pytest.fixture(scope="module")
def shared_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with ExitStack() as stack:
        yield start_lab(stack, tmp_path_factory.mktemp("lab"))


@pytest.fixture
def lab(shared_lab: Lab) -> Lab:
    """The module's lab with every fake's script and recording cleared."""
    shared_lab.reset()
    return shared_lab


@pytest.fixture
def fresh_lab(tmp_path: Path) -> Iterator[Lab]:
    """A lab of its own: provider facts (spend, health, cooldowns, latency) start empty."""
    with ExitStack() as stack:
        yield start_lab(stack, tmp_path)
