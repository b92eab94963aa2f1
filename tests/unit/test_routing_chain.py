"""Chain resolution and its events: pure tables over a parsed config and frozen facts."""

from __future__ import annotations

import calendar
from typing import Any

import pytest

from coderouter_supervisor.worker.config import CodeRouterConfig, parse_config
from coderouter_supervisor.worker.guards import HealthState, Observation, ProviderHealth
from coderouter_supervisor.worker.money import month_resets_at
from coderouter_supervisor.worker.routing import (
    BudgetStatus,
    CapabilityRegistry,
    ChainFacts,
    ChainPlan,
    RequestTraits,
    blocked_error,
    bundled_rules,
    plan_events,
    resolve_chain,
)

CONFIG_TEXT = """
default_profile: main
providers:
  - {name: local, base_url: "http://127.0.0.1:11434/v1", model: qwen3-coder:30b}
  - name: cloud
    kind: anthropic
    base_url: "https://api.anthropic.com"
    model: claude-sonnet-4-6
    paid: true
  - name: capped
    kind: anthropic
    base_url: "https://api.anthropic.com"
    model: claude-haiku-4-5
    cost: {input_tokens_per_million: 1, output_tokens_per_million: 5, monthly_budget_usd: 10}
  - {name: free, base_url: "https://openrouter.ai/api/v1", model: "qwen/qwen3-coder:free"}
profiles:
  - {name: main, providers: [local, cloud, capped, free]}
  - {name: skip-oom, providers: [local, free], memory_pressure_action: skip}
  - {name: warn-oom, providers: [local, free]}
  - {name: demote, providers: [local, free], backend_health_action: demote}
  - {name: adaptive, providers: [local, free], adaptive: true}
  - {name: only-paid, providers: [cloud]}
  - {name: spent, providers: [capped]}
"""
NOW = float(calendar.timegm((2026, 12, 1, 12, 0, 0)))
REGISTRY = CapabilityRegistry(bundled_rules())


def config(env: dict[str, str] | None = None) -> CodeRouterConfig:
    return parse_config(CONFIG_TEXT, "providers.yaml", env or {}).config


NO_FACTS = ChainFacts()


def resolve(
    profile: str, facts: ChainFacts = NO_FACTS, env: dict[str, str] | None = None, **kw: Any
) -> ChainPlan:
    cfg = config(env)
    return resolve_chain(cfg, cfg.profile(profile), facts, NOW, registry=REGISTRY, **kw)


def test_paid_gate_skips_paid_providers_unless_allowed() -> None:
    blocked = resolve("main")
    assert blocked.names == ("local", "capped", "free")
    assert [(s.provider, s.reason) for s in blocked.skips] == [("cloud", "paid")]
    allowed = resolve("main", env={"ALLOW_PAID": "true"})
    assert allowed.names == ("local", "cloud", "capped", "free")
    assert allowed.skips == ()


@pytest.mark.parametrize(
    ("spent", "reserved", "skipped"),
    [
        pytest.param(9.99, 0.0, False, id="under"),
        pytest.param(10.0, 0.0, True, id="at-cap"),
        pytest.param(6.0, 4.0, True, id="reservations-count"),
    ],
)
def test_budget_gate(spent: float, reserved: float, skipped: bool) -> None:
    facts = ChainFacts(budgets={"capped": BudgetStatus("2026-12", spent, reserved)})
    plan = resolve("main", facts)
    assert ("capped" not in plan.names) is skipped
    if skipped:
        [skip] = [s for s in plan.skips if s.reason == "budget"]
        assert (skip.provider, skip.spent_usd, skip.cap_usd) == ("capped", spent, 10.0)


def test_last_months_spend_does_not_count() -> None:
    facts = ChainFacts(budgets={"capped": BudgetStatus("2026-11", 500.0)})
    assert "capped" in resolve("main", facts).names


@pytest.mark.parametrize(
    ("profile", "until", "skipped"),
    [
        pytest.param("skip-oom", NOW + 30, True, id="cooling"),
        pytest.param("skip-oom", NOW - 1, False, id="expired"),
        pytest.param("warn-oom", NOW + 30, False, id="warn-does-not-skip"),
    ],
)
def test_memory_pressure_skip(profile: str, until: float, skipped: bool) -> None:
    plan = resolve(profile, ChainFacts(cooldown_until={"local": until}))
    assert ("local" not in plan.names) is skipped
    if skipped:
        assert plan.skips[0].seconds_until_eligible == 30


def unhealthy(*names: str) -> ChainFacts:
    return ChainFacts(health={n: ProviderHealth(HealthState.UNHEALTHY, 6, NOW) for n in names})


def test_unhealthy_provider_is_demoted_only_with_demote() -> None:
    assert resolve("demote", unhealthy("local")).names == ("free", "local")
    assert resolve("demote", unhealthy("local")).demoted == ("local",)
    assert resolve("warn-oom", unhealthy("local")).names == ("local", "free")


def test_nothing_is_demoted_when_every_provider_is_unhealthy() -> None:
    plan = resolve("demote", unhealthy("local", "free"))
    assert plan.names == ("local", "free")
    assert plan.demoted == ()


def test_adaptive_moves_an_erroring_provider_back_and_says_so() -> None:
    observations = tuple(Observation("local", NOW - i, None, ok=False) for i in range(5)) + tuple(
        Observation("free", NOW - i, 100.0, ok=True) for i in range(5)
    )
    plan = resolve("adaptive", ChainFacts(observations=observations))
    assert plan.names == ("free", "local")
    [event] = [e for e in plan_events(plan) if e.name == "adaptive-routing-applied"]
    assert event.fields["static_order"] == ["local", "free"]
    assert event.fields["effective_order"] == ["free", "local"]
    assert resolve("warn-oom", ChainFacts(observations=observations)).names == ("local", "free")


def test_explicit_thinking_puts_capable_providers_first() -> None:
    plan = resolve("main", env={"ALLOW_PAID": "1"}, traits=RequestTraits(thinking="enabled"))
    assert plan.names[:2] == ("cloud", "capped")
    assert {a.name: a.drop_thinking for a in plan.attempts} == {
        "cloud": False,
        "capped": False,
        "local": True,
        "free": True,
    }
    degraded = [e.fields["provider"] for e in plan_events(plan) if e.name == "capability-degraded"]
    assert degraded == ["local", "free"]
    # Only local went behind another provider; free was last already.
    assert plan.deferred_for_thinking == ("local",)
    [event] = [e for e in plan_events(plan) if e.name == "chain-reordered-for-thinking"]
    assert event.fields["deferred"] == ["local"]
    assert event.fields["effective_order"] == ["cloud", "capped", "local", "free"]


def test_adaptive_thinking_never_reorders() -> None:
    plan = resolve("main", env={"ALLOW_PAID": "1"}, traits=RequestTraits(thinking="adaptive"))
    assert plan.names == ("local", "cloud", "capped", "free")
    assert plan.deferred_for_thinking == ()
    assert not [e for e in plan_events(plan) if e.name == "chain-reordered-for-thinking"]


def test_cache_markers_are_lossy_only_where_the_provider_cannot_cache() -> None:
    plan = resolve("main", env={"ALLOW_PAID": "1"}, traits=RequestTraits(cache_control=True))
    assert {a.name: a.lossy_cache_control for a in plan.attempts} == {
        "local": True,
        "cloud": False,
        "capped": False,
        "free": True,
    }


@pytest.mark.parametrize(
    ("profile", "facts", "event"),
    [
        pytest.param("only-paid", ChainFacts(), "chain-paid-gate-blocked", id="paid"),
        pytest.param(
            "skip-oom",
            ChainFacts(cooldown_until={"local": NOW + 5, "free": NOW + 5}),
            "chain-memory-pressure-blocked",
            id="cooldown",
        ),
    ],
)
def test_an_emptied_chain_gets_one_aggregate_warning(profile: str, facts: ChainFacts, event: str) -> None:
    plan = resolve(profile, facts)
    assert plan.attempts == ()
    warnings = [e for e in plan_events(plan) if e.level == "warning"]
    assert [e.name for e in warnings] == [event]
    assert warnings[0].fields["hint"]


@pytest.mark.parametrize(
    ("profile", "facts", "retry_after", "resets"),
    [
        pytest.param("only-paid", ChainFacts(), None, False, id="paid-gate"),
        pytest.param(
            "skip-oom",
            ChainFacts(cooldown_until={"local": NOW + 5, "free": NOW + 30}),
            5.0,
            False,
            id="cooldown-ends",
        ),
        pytest.param(
            "spent",
            ChainFacts(budgets={"capped": BudgetStatus("2026-12", spent_usd=10.0)}),
            None,
            True,
            id="budget-spent",
        ),
    ],
)
def test_an_emptied_chain_says_whether_a_retry_can_succeed(
    profile: str, facts: ChainFacts, retry_after: float | None, resets: bool
) -> None:
    error = blocked_error(resolve(profile, facts))
    assert error.retry_after == retry_after
    assert error.retry_can_cure is (retry_after is not None)
    assert ("budgets reset at 2027-01-01 00:00 UTC" in error.message) is resets


@pytest.mark.parametrize(
    ("month", "resets"),
    [
        pytest.param("2026-11", "2026-12-01 00:00 UTC", id="mid-year"),
        pytest.param("2026-12", "2027-01-01 00:00 UTC", id="december"),
    ],
)
def test_month_resets_at(month: str, resets: str) -> None:
    assert month_resets_at(month) == resets


def test_skip_events_carry_the_seed_fields() -> None:
    facts = ChainFacts(budgets={"capped": BudgetStatus("2026-12", 12.5)})
    events = {e.name: e.fields for e in plan_events(resolve("main", facts))}
    assert events["skip-paid-provider"] == {"profile": "main", "provider": "cloud"}
    assert events["skip-budget-exceeded"] == {
        "provider": "capped",
        "profile": "main",
        "monthly_budget_usd": 10.0,
        "current_total_usd": 12.5,
        "month": "2026-12",
    }


THINKING_TEXT = """
default_profile: claude
providers:
  - {name: proxy, kind: anthropic, base_url: "http://127.0.0.1:4000", model: team-claude}
  - {name: old, kind: anthropic, base_url: "https://api.anthropic.com", model: claude-3-5-haiku-20241022}
  - {name: local, base_url: "http://127.0.0.1:11434/v1", model: llama3}
  - name: lmstudio
    base_url: "http://127.0.0.1:1234/v1"
    model: qwen3-8b
    capabilities: {reasoning_control: provider_specific}
profiles:
  - {name: claude, providers: [local, old, proxy, lmstudio]}
"""


@pytest.mark.parametrize("thinking", ["enabled", "adaptive"])
def test_thinking_is_removed_only_where_it_cannot_work(thinking: str) -> None:
    cfg = parse_config(THINKING_TEXT, "providers.yaml", {}).config
    traits = RequestTraits(thinking=thinking)  # type: ignore[arg-type]
    plan = resolve_chain(cfg, cfg.profile("claude"), NO_FACTS, NOW, registry=REGISTRY, traits=traits)
    dropped = {a.name: a.drop_thinking for a in plan.attempts}
    # An Anthropic model the registry does not know keeps it; a Claude 3.5 model and a backend with
    # no reasoning control lose it; a backend with a reasoning control gets it translated.
    assert dropped == {"local": True, "old": True, "proxy": False, "lmstudio": False}
    expected = (
        ("proxy", "lmstudio", "local", "old")
        if thinking == "enabled"
        else ("local", "old", "proxy", "lmstudio")
    )
    assert plan.names == expected


def test_a_provider_whose_key_is_missing_is_skipped_and_says_which_variable() -> None:
    text = CONFIG_TEXT.replace(
        '  - {name: free, base_url: "https://openrouter.ai/api/v1", model: "qwen/qwen3-coder:free"}',
        '  - {name: free, base_url: "https://openrouter.ai/api/v1", model: "qwen/qwen3-coder:free",'
        " api_key_env: OPENROUTER_API_KEY}",
    )
    assert text != CONFIG_TEXT
    cfg = parse_config(text, "providers.yaml", {}).config
    plan = resolve_chain(
        cfg, cfg.profile("skip-oom"), NO_FACTS, NOW, registry=REGISTRY, missing_keys=frozenset({"free"})
    )
    assert plan.names == ("local",)
    assert [(s.provider, s.reason, s.key_env) for s in plan.skips] == [
        ("free", "no-key", "OPENROUTER_API_KEY")
    ]
    [event] = [e for e in plan_events(plan) if e.name == "skip-missing-api-key"]
    assert event.fields == {"provider": "free", "profile": "skip-oom", "api_key_env": "OPENROUTER_API_KEY"}

    emptied = resolve_chain(
        cfg,
        cfg.profile("skip-oom"),
        NO_FACTS,
        NOW,
        registry=REGISTRY,
        missing_keys=frozenset({"local", "free"}),
    )
    assert emptied.names == ()
    assert [e.name for e in plan_events(emptied) if e.level == "warning"][-1] == "chain-api-key-missing"
