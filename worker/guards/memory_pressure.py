"""Memory-pressure cooldowns: a provider that ran out of memory is skipped for a while.

Deadlines are wall-clock UTC seconds, because every worker process must agree on when a
cooldown ends. Whether an error is an out-of-memory failure is decided where upstream errors
are read (``worker.protocol.upstream_errors``).
"""

from __future__ import annotations

import math


def cooldown_until(now: float, cooldown_s: float, current: float | None = None) -> float:
    """The deadline after marking a provider at ``now``; re-marking extends ``current``, never shortens it."""
    return max(now + cooldown_s, current or 0.0)


def in_cooldown(until: float | None, now: float) -> bool:
    """Whether the provider is still cooling down at ``now`` (the deadline itself is eligible)."""
    return until is not None and now < until


def seconds_until_eligible(until: float | None, now: float) -> int:
    """Whole seconds until the provider may be tried again: 0 when not cooling down, else at least 1.

    Rounded up, so a client told to come back after this many seconds never arrives early.
    """
    if until is None or not in_cooldown(until, now):
        return 0
    return max(1, math.ceil(until - now))
