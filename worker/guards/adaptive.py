"""Adaptive ordering: demote providers that are slow or failing in the last minute.

The algorithm and its constants are coderouter-cli 1.10.1's, except that rank memory belongs
to one profile: the caller keeps :attr:`AdaptiveOrder.memory` per profile and hands it back
next time. (Kept per provider, a provider at different places in two profiles keeps
"changing rank", and the debounce then works against both.)
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

WINDOW_S = 60.0
LATENCY_DEMOTE_FACTOR = 1.5
ERROR_RATE_DEMOTE_THRESHOLD = 0.10
DEBOUNCE_S = 30.0
MIN_SAMPLES_FOR_LATENCY = 3
MIN_SAMPLES_FOR_ERROR_RATE = 5

_LATENCY_DEMOTION = 1
_ERROR_DEMOTION = 2


@dataclass(frozen=True)
class Observation:
    """One finished attempt; ``at`` is wall-clock seconds, ``latency_ms`` ``None`` when unknown."""

    provider: str
    at: float
    latency_ms: float | None
    ok: bool


@dataclass(frozen=True)
class ProviderStats:
    """``median_latency_ms`` over successes with a latency (``None`` without any)."""

    median_latency_ms: float | None
    error_rate: float
    sample_count: int


@dataclass(frozen=True)
class RankMemory:
    """A provider's last rank in one profile's order and when it last changed (wall-clock seconds)."""

    rank: int
    changed_at: float


@dataclass(frozen=True)
class AdaptiveOrder:
    """The effective order of one profile's chain and what produced it.

    ``stats`` covers the chain's providers that have observations in the window. ``memory`` is
    what the caller keeps for this profile and passes to the next :func:`adaptive_order` call.
    """

    static_order: tuple[str, ...]
    order: tuple[str, ...]
    stats: Mapping[str, ProviderStats]
    memory: Mapping[str, RankMemory]

    @property
    def changed(self) -> bool:
        """Whether ``order`` differs from the static chain (the case worth an event)."""
        return self.order != self.static_order


def window_stats(observations: Iterable[Observation], now: float) -> dict[str, ProviderStats]:
    """Stats per provider over observations with ``now - WINDOW_S <= at <= now``."""
    totals: dict[str, int] = {}
    failures: dict[str, int] = {}
    latencies: dict[str, list[float]] = {}
    for seen in observations:
        if not now - WINDOW_S <= seen.at <= now:
            continue
        totals[seen.provider] = totals.get(seen.provider, 0) + 1
        failures.setdefault(seen.provider, 0)
        latencies.setdefault(seen.provider, [])
        if not seen.ok:
            failures[seen.provider] += 1
        elif seen.latency_ms is not None:
            latencies[seen.provider].append(seen.latency_ms)
    return {
        name: ProviderStats(
            median_latency_ms=statistics.median(latencies[name]) if latencies[name] else None,
            error_rate=failures[name] / total,
            sample_count=total,
        )
        for name, total in totals.items()
    }


def _demotions(chain: Sequence[str], stats: Mapping[str, ProviderStats]) -> dict[str, int]:
    """The demotion score per provider: +1 for slow, +2 for failing (0 without enough samples)."""
    medians = [
        s.median_latency_ms
        for s in stats.values()
        if s.sample_count >= MIN_SAMPLES_FOR_LATENCY and s.median_latency_ms is not None
    ]
    chain_median = statistics.median(medians) if medians else None
    scores: dict[str, int] = {}
    for name in chain:
        s = stats.get(name)
        score = 0
        if s is not None:
            # A chain median of 0 ms (a clock that cannot resolve) would make every sampled
            # provider "slow" at once.
            if (
                chain_median
                and s.sample_count >= MIN_SAMPLES_FOR_LATENCY
                and s.median_latency_ms is not None
                and s.median_latency_ms >= LATENCY_DEMOTE_FACTOR * chain_median
            ):
                score += _LATENCY_DEMOTION
            if s.sample_count >= MIN_SAMPLES_FOR_ERROR_RATE and s.error_rate >= ERROR_RATE_DEMOTE_THRESHOLD:
                score += _ERROR_DEMOTION
        scores[name] = score
    return scores


def _pinned(memory: RankMemory, size: int, now: float) -> bool:
    # A change stamped in the future means the wall clock stepped back; releasing is the safe
    # reading, or a large step would pin the provider for as long.
    return 0 <= memory.rank < size and 0 <= now - memory.changed_at < DEBOUNCE_S


def adaptive_order(
    chain: Sequence[str],
    observations: Iterable[Observation],
    memory: Mapping[str, RankMemory],
    now: float,
) -> AdaptiveOrder:
    """Reorder ``chain`` by recent latency and errors, debounced per provider.

    Contract:

    * ``order`` is always a permutation of ``chain``; with no demotion and no pinned rank it is
      ``chain`` itself.
    * The computed order sorts by (demotion score, static index): +1 when the median latency is
      at least ``LATENCY_DEMOTE_FACTOR`` x the chain median (the median of the per-provider
      medians of providers with ``MIN_SAMPLES_FOR_LATENCY`` samples), +2 when the error rate is
      at least ``ERROR_RATE_DEMOTE_THRESHOLD`` over ``MIN_SAMPLES_FOR_ERROR_RATE`` samples.
    * Debounce: a provider whose remembered rank changed less than ``DEBOUNCE_S`` ago stays at
      that rank (on a clash, the earlier provider of ``chain`` keeps it). The other providers
      fill the remaining ranks in computed order. A provider without memory sits at its static
      rank and has never changed, so its first change is always allowed.
    * ``memory`` records each provider whose rank now differs from the remembered one (or from
      its static rank, when none) with ``changed_at = now``; an entry that is back at its static
      rank and past the debounce is dropped, as are names no longer in ``chain``.
    * A chain naming a provider twice has no well-defined rank per name; it is returned
      unchanged with empty memory.
    """
    static = tuple(chain)
    all_stats = window_stats(observations, now)
    stats = {name: all_stats[name] for name in dict.fromkeys(static) if name in all_stats}
    if len(set(static)) != len(static):
        return AdaptiveOrder(static, static, stats, {})

    index = {name: position for position, name in enumerate(static)}
    scores = _demotions(static, stats)
    computed = sorted(static, key=lambda name: (scores[name], index[name]))

    slots: list[str | None] = [None] * len(static)
    for name in static:
        remembered = memory.get(name)
        if remembered is None or not _pinned(remembered, len(static), now):
            continue
        if slots[remembered.rank] is None:
            slots[remembered.rank] = name
    placed = {name for name in slots if name is not None}
    free = iter(name for name in computed if name not in placed)
    order = tuple(name if name is not None else next(free) for name in slots)

    new_memory: dict[str, RankMemory] = {}
    for rank, name in enumerate(order):
        old = memory.get(name)
        if rank != (old.rank if old is not None else index[name]):
            new_memory[name] = RankMemory(rank, now)
        elif old is not None and (rank != index[name] or _pinned(old, len(static), now)):
            new_memory[name] = old
    return AdaptiveOrder(static, order, stats, new_memory)
