"""Backend health: consecutive failures move a provider HEALTHY -> DEGRADED -> UNHEALTHY.

Pure transitions on a frozen :class:`ProviderHealth`; the caller stores the value and emits
the change event when ``state`` differs. Only failures of the backend count: a request the
upstream rightly refused (too long, malformed) says nothing about the backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from coderouter_supervisor.worker.errors import ContextOverflow, UpstreamError, UpstreamHTTPError


class HealthState(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


_SEVERITY = {HealthState.HEALTHY: 0, HealthState.DEGRADED: 1, HealthState.UNHEALTHY: 2}

# Statuses that blame the request, not the backend: malformed (400, 422) or too large (413).
_REQUEST_FAULT_STATUSES = frozenset({400, 413, 422})


@dataclass(frozen=True)
class ProviderHealth:
    """One provider's health; ``changed_at`` is when ``state`` last changed (wall-clock seconds)."""

    state: HealthState = HealthState.HEALTHY
    consecutive_failures: int = 0
    changed_at: float = 0.0


def _moved(health: ProviderHealth, state: HealthState, failures: int, now: float) -> ProviderHealth:
    changed_at = now if state is not health.state else health.changed_at
    return replace(health, state=state, consecutive_failures=failures, changed_at=changed_at)


def after_failure(health: ProviderHealth, *, threshold: int, now: float) -> ProviderHealth:
    """One more consecutive failure: DEGRADED from ``threshold`` failures, UNHEALTHY from twice that.

    A failure never makes a provider healthier, even when a profile with a larger
    ``threshold`` observes it than the one that degraded it.
    """
    failures = health.consecutive_failures + 1
    if failures >= 2 * threshold:
        state = HealthState.UNHEALTHY
    elif failures >= threshold:
        state = HealthState.DEGRADED
    else:
        state = HealthState.HEALTHY
    state = max(state, health.state, key=_SEVERITY.__getitem__)
    return _moved(health, state, failures, now)


def after_success(health: ProviderHealth, *, now: float) -> ProviderHealth:
    """Any success clears the counter and makes the provider HEALTHY."""
    return _moved(health, HealthState.HEALTHY, 0, now)


def counts_against_backend(error: UpstreamError) -> bool:
    """Whether ``error`` is a failure of the backend rather than of the request.

    Not counted: context overflow and upstream 400/413/422, which another request would not
    get. Counted: everything else, including connect errors, timeouts, out of memory,
    mid-stream failures, 401/403 (the provider key), 404 (the model is missing), 408, 429, 5xx.
    """
    if isinstance(error, ContextOverflow):
        return False
    return not (isinstance(error, UpstreamHTTPError) and error.upstream_status in _REQUEST_FAULT_STATUSES)


def demote_unhealthy(
    chain: Sequence[str], health: Mapping[str, ProviderHealth]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(order, demoted)``: UNHEALTHY providers moved behind the rest, each group in chain order.

    ``demoted`` names every UNHEALTHY provider of the chain once, even one already last. When no
    other provider remains the chain is returned unchanged with nothing demoted: a sick provider
    is still better than none. Providers missing from ``health`` are HEALTHY.
    """

    def unhealthy(name: str) -> bool:
        known = health.get(name)
        return known is not None and known.state is HealthState.UNHEALTHY

    sick = [name for name in chain if unhealthy(name)]
    rest = [name for name in chain if not unhealthy(name)]
    if not sick or not rest:
        return tuple(chain), ()
    return (*rest, *sick), tuple(dict.fromkeys(sick))
