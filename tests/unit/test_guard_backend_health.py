from __future__ import annotations

import pytest

from coderouter_supervisor.worker.errors import (
    ContextOverflow,
    MidStreamFailure,
    UpstreamConnectError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamOutOfMemory,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.guards import (
    HealthState,
    ProviderHealth,
    after_failure,
    after_success,
    counts_against_backend,
    demote_unhealthy,
)

HEALTHY, DEGRADED, UNHEALTHY = HealthState.HEALTHY, HealthState.DEGRADED, HealthState.UNHEALTHY


def test_failures_walk_the_states_at_threshold_and_twice_threshold() -> None:
    health = ProviderHealth()
    seen: list[tuple[HealthState, int, float]] = []
    for now in range(1, 8):
        health = after_failure(health, threshold=3, now=float(now))
        seen.append((health.state, health.consecutive_failures, health.changed_at))
    assert seen == [
        (HEALTHY, 1, 0.0),
        (HEALTHY, 2, 0.0),
        (DEGRADED, 3, 3.0),
        (DEGRADED, 4, 3.0),
        (DEGRADED, 5, 3.0),
        (UNHEALTHY, 6, 6.0),
        (UNHEALTHY, 7, 6.0),
    ]


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        pytest.param(
            ProviderHealth(UNHEALTHY, 9, 5.0), ProviderHealth(HEALTHY, 0, 100.0), id="from-unhealthy"
        ),
        pytest.param(ProviderHealth(DEGRADED, 3, 5.0), ProviderHealth(HEALTHY, 0, 100.0), id="from-degraded"),
        pytest.param(
            ProviderHealth(HEALTHY, 2, 5.0), ProviderHealth(HEALTHY, 0, 5.0), id="healthy-keeps-stamp"
        ),
        pytest.param(ProviderHealth(), ProviderHealth(), id="untouched"),
    ],
)
def test_any_success_recovers(before: ProviderHealth, expected: ProviderHealth) -> None:
    assert after_success(before, now=100.0) == expected


def test_recovery_restarts_the_count() -> None:
    health = ProviderHealth(UNHEALTHY, 6, 1.0)
    health = after_success(health, now=2.0)
    health = after_failure(health, threshold=3, now=3.0)
    assert health == ProviderHealth(HEALTHY, 1, 2.0)


@pytest.mark.parametrize(
    ("before", "threshold", "expected_state"),
    [
        pytest.param(ProviderHealth(UNHEALTHY, 6, 1.0), 5, UNHEALTHY, id="larger-threshold-keeps-unhealthy"),
        pytest.param(ProviderHealth(DEGRADED, 3, 1.0), 10, DEGRADED, id="larger-threshold-keeps-degraded"),
        pytest.param(ProviderHealth(DEGRADED, 3, 1.0), 2, UNHEALTHY, id="smaller-threshold-worsens"),
    ],
)
def test_a_failure_never_makes_a_provider_healthier(
    before: ProviderHealth, threshold: int, expected_state: HealthState
) -> None:
    after = after_failure(before, threshold=threshold, now=9.0)
    assert after.state is expected_state
    assert after.consecutive_failures == before.consecutive_failures + 1
    assert after.changed_at == (1.0 if expected_state is before.state else 9.0)


def test_health_values_are_frozen() -> None:
    health = ProviderHealth()
    after_failure(health, threshold=1, now=1.0)
    assert health == ProviderHealth()


def _http(status: int) -> UpstreamHTTPError:
    return UpstreamHTTPError("upstream said no", provider="p", upstream_status=status)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(ContextOverflow("too long", provider="p", tokens=9, maximum=8), False, id="overflow"),
        pytest.param(_http(400), False, id="400"),
        pytest.param(_http(413), False, id="413"),
        pytest.param(_http(422), False, id="422"),
        pytest.param(UpstreamConnectError("refused", provider="p"), True, id="connect"),
        pytest.param(UpstreamTimeout("slow", provider="p"), True, id="timeout"),
        pytest.param(UpstreamOutOfMemory("cudaMalloc failed", provider="p"), True, id="oom"),
        pytest.param(MidStreamFailure("reset", provider="p"), True, id="mid-stream"),
        pytest.param(_http(401), True, id="401-provider-key"),
        pytest.param(_http(403), True, id="403-provider-key"),
        pytest.param(_http(404), True, id="404-model-missing"),
        pytest.param(_http(408), True, id="408"),
        pytest.param(_http(429), True, id="429"),
        pytest.param(_http(500), True, id="500"),
        pytest.param(_http(503), True, id="503"),
        pytest.param(_http(529), True, id="529"),
        pytest.param(_http(418), True, id="other-4xx"),
        pytest.param(UpstreamError("odd", provider="p"), True, id="base-class"),
    ],
)
def test_counts_against_backend(error: UpstreamError, expected: bool) -> None:
    assert counts_against_backend(error) is expected


SICK = ProviderHealth(UNHEALTHY, 6, 1.0)


@pytest.mark.parametrize(
    ("chain", "health", "expected"),
    [
        pytest.param(("a", "b", "c"), {}, (("a", "b", "c"), ()), id="no-health-known"),
        pytest.param(("a", "b", "c"), {"a": SICK}, (("b", "c", "a"), ("a",)), id="unhealthy-first-goes-last"),
        pytest.param(
            ("a", "b", "c", "d"),
            {"a": SICK, "c": SICK, "b": ProviderHealth(DEGRADED, 3, 1.0)},
            (("b", "d", "a", "c"), ("a", "c")),
            id="stable-partition-degraded-stays",
        ),
        pytest.param(("a", "b"), {"b": SICK}, (("a", "b"), ("b",)), id="already-last-still-reported"),
        pytest.param(("a", "b"), {"a": SICK, "b": SICK}, (("a", "b"), ()), id="all-unhealthy-unchanged"),
        pytest.param(("a",), {"a": SICK}, (("a",), ()), id="single-unhealthy"),
        pytest.param(
            ("a", "b"), {"a": SICK, "zz": ProviderHealth()}, (("b", "a"), ("a",)), id="other-names-ignored"
        ),
        pytest.param((), {"a": SICK}, ((), ()), id="empty-chain"),
    ],
)
def test_demote_unhealthy(
    chain: tuple[str, ...],
    health: dict[str, ProviderHealth],
    expected: tuple[tuple[str, ...], tuple[str, ...]],
) -> None:
    assert demote_unhealthy(chain, health) == expected
