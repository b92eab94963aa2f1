"""Gates and reorders that depend on what happened before: budget, cooldown, health, adaptive order.

Each test has a gateway of its own, because these facts are per provider and outlive a request.
"""

from __future__ import annotations

import pytest

from .conftest import BUDGET_USD, Lab
from support.fake_upstream import Failure, Reply, Usage
from support.ingress import COMBINATIONS, IngressName, events, send, wait_events

pytestmark = pytest.mark.integration

USAGE = Usage(input_tokens=12, output_tokens=7)  # $19 at the metered provider's $1 per token


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_budget_holds_the_cap_then_falls_back(fresh_lab: Lab, ingress: IngressName, stream: bool) -> None:
    fresh_lab.primary.reset(Reply(text="metered answer", usage=USAGE))
    fresh_lab.backup.reset(Reply(text="backup answer"))
    small = {"max_tokens": 16}

    served = [send(fresh_lab.gateway, ingress, stream, profile="budget", extra=small) for _ in range(3)]

    assert [a.status for a in served] == [200, 200, 200], [a.raw for a in served]
    assert [a.provider for a in served] == ["metered", "metered", "backup"]
    assert served[2].fallback_chain == "metered;skipped=budget, backup;ok"
    priced = wait_events(fresh_lab.gateway, "cache-observed", count=2, provider="metered")
    assert [e["cost_usd"] for e in priced] == [19.0, 19.0]
    assert sum(e["cost_usd"] for e in priced) <= BUDGET_USD
    assert all(e["outcome"] == "no_cache" and e["streaming"] is stream for e in priced)
    [skip] = events(fresh_lab.gateway, "skip-budget-exceeded", provider="metered")
    assert skip["monthly_budget_usd"] == BUDGET_USD


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_budget_exhausted_everywhere_is_refused(fresh_lab: Lab, ingress: IngressName, stream: bool) -> None:
    fresh_lab.primary.reset(Reply(usage=USAGE))
    small = {"max_tokens": 16}
    for _ in range(2):
        assert send(fresh_lab.gateway, ingress, stream, profile="budget-only", extra=small).status == 200

    refused = send(fresh_lab.gateway, ingress, stream, profile="budget-only", extra=small)

    assert refused.status >= 500 and refused.error is not None, refused.raw
    assert "next UTC month" in refused.error["message"]
    # Retrying cannot help before the month ends: SDKs must not retry it.
    assert refused.headers["x-should-retry"] == "false"
    assert "retry-after" not in refused.headers
    assert len(fresh_lab.primary.requests) == 2
    assert wait_events(fresh_lab.gateway, "chain-budget-exceeded", profile="budget-only")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_out_of_memory_cools_the_provider_down(fresh_lab: Lab, ingress: IngressName, stream: bool) -> None:
    fresh_lab.primary.queue(
        Failure(500, "llama runner process has terminated: cudaMalloc failed: out of memory")
    )

    first = send(fresh_lab.gateway, ingress, stream, profile="cooldown")
    second = send(fresh_lab.gateway, ingress, stream, profile="cooldown")

    assert (first.status, first.provider) == (200, "backup")
    assert first.fallback_chain == "primary;failed=out-of-memory, backup;ok"
    assert (second.status, second.provider) == (200, "backup")
    assert second.fallback_chain == "primary;skipped=cooldown, backup;ok"
    assert len(fresh_lab.primary.requests) == 1
    [detected] = events(fresh_lab.gateway, "memory-pressure-detected", provider="primary")
    assert detected["action"] == "skip" and detected["cooldown_s"] == 120
    [skipped] = events(fresh_lab.gateway, "skip-memory-pressure", provider="primary")
    assert 100 < skipped["seconds_until_eligible"] <= 120


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_unhealthy_provider_is_demoted(fresh_lab: Lab, ingress: IngressName, stream: bool) -> None:
    fresh_lab.primary.reset(Failure(500, "backend down"))

    for _ in range(4):  # threshold 2: DEGRADED after 2 failures, UNHEALTHY after 4
        assert send(fresh_lab.gateway, ingress, stream, profile="health").provider == "backup"
    demoted = send(fresh_lab.gateway, ingress, stream, profile="health")

    assert (demoted.status, demoted.provider) == (200, "backup")
    assert demoted.fallback_chain is None  # backup went first: nothing was passed over
    assert len(fresh_lab.primary.requests) == 4
    changes = events(fresh_lab.gateway, "backend-health-changed", provider="primary")
    assert [(c["old_state"], c["new_state"]) for c in changes] == [
        ("healthy", "degraded"),
        ("degraded", "unhealthy"),
    ]
    assert events(fresh_lab.gateway, "demote-unhealthy-provider", provider="primary", profile="health")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_a_recovered_provider_is_healthy_again(fresh_lab: Lab, ingress: IngressName, stream: bool) -> None:
    fresh_lab.primary.queue(Failure(500, "down"), Failure(500, "down"))
    for _ in range(2):
        send(fresh_lab.gateway, ingress, stream, profile="health")

    recovered = send(fresh_lab.gateway, ingress, stream, profile="health")

    assert recovered.provider == "primary"
    changes = events(fresh_lab.gateway, "backend-health-changed", provider="primary")
    assert [c["new_state"] for c in changes] == ["degraded", "healthy"]


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_adaptive_order_moves_an_erroring_provider_back(
    fresh_lab: Lab, ingress: IngressName, stream: bool
) -> None:
    fresh_lab.primary.reset(Failure(503, "overloaded"))

    for _ in range(5):  # 5 samples at a 100 % error rate
        assert send(fresh_lab.gateway, ingress, stream, profile="adaptive").provider == "backup"
    reordered = send(fresh_lab.gateway, ingress, stream, profile="adaptive")

    assert (reordered.status, reordered.provider) == (200, "backup")
    assert reordered.fallback_chain is None
    assert len(fresh_lab.primary.requests) == 5
    [applied] = events(fresh_lab.gateway, "adaptive-routing-applied", profile="adaptive")
    assert applied["static_order"] == ["primary", "backup"]
    assert applied["effective_order"] == ["backup", "primary"]
    assert applied["stats"]["primary"]["error_rate"] == 1.0
