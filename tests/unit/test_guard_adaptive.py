from __future__ import annotations

import random

import pytest

from coderouter_supervisor.worker.guards import (
    DEBOUNCE_S,
    WINDOW_S,
    AdaptiveOrder,
    Observation,
    ProviderStats,
    RankMemory,
    adaptive_order,
    window_stats,
)

NOW = 1_750_000_000.0
CHAIN = ("a", "b", "c")


def _seen(
    provider: str, count: int, latency_ms: float | None = 100.0, *, failures: int = 0, at: float = NOW
) -> list[Observation]:
    """``count`` observations of ``provider``, the first ``failures`` of them failed."""
    return [
        Observation(provider, at - index * 0.1, None if index < failures else latency_ms, index >= failures)
        for index in range(count)
    ]


def _order(observations: list[Observation], chain: tuple[str, ...] = CHAIN) -> tuple[str, ...]:
    return adaptive_order(chain, observations, {}, NOW).order


def test_window_stats() -> None:
    observations = [
        *_seen("a", 4, 100.0),
        Observation("a", NOW, 300.0, True),
        Observation("a", NOW, 9999.0, False),  # a failure's latency is not a success's
        Observation("a", NOW, None, True),  # counted, but no latency
        Observation("b", NOW, None, False),
    ]
    assert window_stats(observations, NOW) == {
        "a": ProviderStats(median_latency_ms=100.0, error_rate=1 / 7, sample_count=7),
        "b": ProviderStats(median_latency_ms=None, error_rate=1.0, sample_count=1),
    }


@pytest.mark.parametrize(
    ("at", "counted"),
    [
        pytest.param(NOW, True, id="now"),
        pytest.param(NOW - WINDOW_S, True, id="window-edge-included"),
        pytest.param(NOW - WINDOW_S - 0.001, False, id="older-pruned"),
        pytest.param(NOW + 0.001, False, id="future-ignored"),
    ],
)
def test_window_pruning(at: float, counted: bool) -> None:
    stats = window_stats([Observation("a", at, 100.0, True)], NOW)
    assert ("a" in stats) is counted


def test_no_samples_keeps_the_static_order() -> None:
    result = adaptive_order(CHAIN, [], {}, NOW)
    assert result == AdaptiveOrder(static_order=CHAIN, order=CHAIN, stats={}, memory={})
    assert not result.changed


@pytest.mark.parametrize(
    ("observations", "expected"),
    [
        pytest.param(
            [*_seen("a", 3, 1000.0), *_seen("b", 3), *_seen("c", 3)],
            ("b", "c", "a"),
            id="slow-demoted-by-one",
        ),
        pytest.param(
            [*_seen("a", 5, failures=1), *_seen("b", 3), *_seen("c", 3)],
            ("b", "c", "a"),
            id="erroring-demoted-by-two",
        ),
        pytest.param(
            [*_seen("a", 5, failures=1), *_seen("b", 3, 1000.0), *_seen("c", 3)],
            ("c", "b", "a"),
            id="errors-weigh-more-than-latency",
        ),
        pytest.param(
            [*_seen("a", 3, 1000.0), *_seen("b", 5, failures=1), *_seen("c", 3)],
            ("c", "a", "b"),
            id="slow-one-ahead-of-erroring-one",
        ),
        pytest.param(
            [*_seen("a", 5, 1000.0, failures=1), *_seen("b", 5, 1000.0, failures=1), *_seen("c", 3)],
            ("c", "a", "b"),
            id="ties-keep-static-order",
        ),
        pytest.param(
            [*_seen("a", 3, 150.0), *_seen("b", 3), *_seen("c", 3)],
            ("b", "c", "a"),
            id="exactly-factor-first",
        ),
        pytest.param(
            [*_seen("a", 3, 149.0), *_seen("b", 3), *_seen("c", 3)], ("a", "b", "c"), id="just-below-factor"
        ),
        pytest.param(
            [*_seen("a", 10, failures=1), *_seen("b", 3)], ("b", "c", "a"), id="exactly-error-threshold"
        ),
        pytest.param(
            [*_seen("a", 11, failures=1), *_seen("b", 3)], ("a", "b", "c"), id="just-below-error-threshold"
        ),
    ],
)
def test_demotion(observations: list[Observation], expected: tuple[str, ...]) -> None:
    assert _order(observations) == expected


@pytest.mark.parametrize(
    ("observations", "expected"),
    [
        pytest.param(
            [*_seen("a", 2, 1000.0), *_seen("b", 3), *_seen("c", 3)],
            ("a", "b", "c"),
            id="two-slow-samples-are-not-enough",
        ),
        pytest.param(
            [*_seen("a", 4, failures=2), *_seen("b", 3), *_seen("c", 3)],
            ("a", "b", "c"),
            id="four-samples-with-errors-are-not-enough",
        ),
        pytest.param(
            # Counting b's two fast samples, the chain median would be 100 and a slow; without, it is 130.
            [*_seen("a", 3, 160.0), *_seen("b", 2, 10.0), *_seen("c", 3, 100.0)],
            ("a", "b", "c"),
            id="few-samples-stay-out-of-the-chain-median",
        ),
        pytest.param(
            [*_seen("a", 3, 160.0), *_seen("b", 3, 10.0), *_seen("c", 3, 100.0)],
            ("b", "c", "a"),
            id="with-three-samples-they-count",
        ),
        pytest.param(
            [*_seen("a", 3, 0.0), *_seen("b", 3, 0.0), *_seen("c", 2, 0.0)],
            ("a", "b", "c"),
            id="zero-median-demotes-nobody",
        ),
        pytest.param(
            [*_seen("a", 3, 1000.0), *_seen("b", 3), *_seen("c", 3), *_seen("elsewhere", 3, 1.0)],
            ("b", "c", "a"),
            id="providers-outside-the-chain-ignored",
        ),
    ],
)
def test_minimum_samples(observations: list[Observation], expected: tuple[str, ...]) -> None:
    assert _order(observations) == expected


def test_old_observations_do_not_demote() -> None:
    stale = _seen("a", 5, failures=5, at=NOW - WINDOW_S - 1)
    assert _order(stale) == CHAIN
    assert _order(_seen("a", 5, failures=5, at=NOW)) == ("b", "c", "a")


def test_stats_cover_the_chain_providers_seen() -> None:
    result = adaptive_order(CHAIN, [*_seen("a", 3), *_seen("zz", 3)], {}, NOW)
    assert set(result.stats) == {"a"}
    assert result.stats["a"].sample_count == 3


def _erroring_a(at: float) -> list[Observation]:
    return _seen("a", 5, failures=5, at=at)


def test_debounce_pins_then_releases_after_the_debounce() -> None:
    first = adaptive_order(CHAIN, _erroring_a(NOW), {}, NOW)
    assert first.order == ("b", "c", "a")
    assert first.changed
    assert first.memory == {"a": RankMemory(2, NOW), "b": RankMemory(0, NOW), "c": RankMemory(1, NOW)}

    # a recovers (its failures aged out); the order still holds until the debounce ends.
    pinned = adaptive_order(CHAIN, [], first.memory, NOW + 10)
    assert pinned.order == ("b", "c", "a")
    assert pinned.memory == first.memory
    almost = adaptive_order(CHAIN, [], first.memory, NOW + DEBOUNCE_S - 0.01)
    assert almost.order == ("b", "c", "a")

    released = adaptive_order(CHAIN, [], first.memory, NOW + DEBOUNCE_S)
    assert released.order == CHAIN
    assert not released.changed
    later = NOW + DEBOUNCE_S
    assert released.memory == {
        "a": RankMemory(0, later),
        "b": RankMemory(1, later),
        "c": RankMemory(2, later),
    }

    # A relapse right after the release is held back by the new stamps in turn.
    relapse = adaptive_order(CHAIN, _erroring_a(later + 5), released.memory, later + 5)
    assert relapse.order == CHAIN
    demoted = adaptive_order(CHAIN, _erroring_a(later + DEBOUNCE_S), relapse.memory, later + DEBOUNCE_S)
    assert demoted.order == ("b", "c", "a")


def test_memory_back_at_static_rank_is_forgotten_after_the_debounce() -> None:
    memory = {"a": RankMemory(0, NOW), "b": RankMemory(1, NOW - 100), "c": RankMemory(1, NOW - 100)}
    result = adaptive_order(CHAIN, [], memory, NOW + 1)
    assert result.order == CHAIN
    # a is at its static rank but changed a second ago: kept. b is at rest: forgotten. c moved.
    assert result.memory == {"a": RankMemory(0, NOW), "c": RankMemory(2, NOW + 1)}


def test_first_change_without_memory_is_always_allowed() -> None:
    memory = {"a": RankMemory(0, NOW - 1)}  # a changed a second ago, b and c never did
    result = adaptive_order(CHAIN, _seen("b", 5, failures=5), memory, NOW)
    assert result.order == ("a", "c", "b")
    assert result.memory == {"a": RankMemory(0, NOW - 1), "b": RankMemory(2, NOW), "c": RankMemory(1, NOW)}


def test_pinned_provider_keeps_its_rank_and_the_rest_fill_in_computed_order() -> None:
    chain = ("a", "b", "c", "d")
    memory = {"c": RankMemory(0, NOW - 5)}
    result = adaptive_order(chain, _seen("a", 5, failures=5), memory, NOW)
    # Computed: b, c, d, a. c stays first; b, d, a take the free ranks in that order (b is back
    # at its static rank, so nothing is remembered for it).
    assert result.order == ("c", "b", "d", "a")
    assert result.memory == {
        "c": RankMemory(0, NOW - 5),
        "d": RankMemory(2, NOW),
        "a": RankMemory(3, NOW),
    }


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        pytest.param(
            {"a": RankMemory(1, NOW - 1), "b": RankMemory(1, NOW - 1)},
            ("b", "a", "c"),
            id="clash-earlier-provider-wins",
        ),
        pytest.param({"c": RankMemory(7, NOW - 1)}, CHAIN, id="rank-beyond-a-shrunk-chain-ignored"),
        pytest.param({"c": RankMemory(-1, NOW - 1)}, CHAIN, id="negative-rank-ignored"),
        pytest.param({"c": RankMemory(0, NOW + 3600)}, CHAIN, id="stamp-in-the-future-releases"),
        pytest.param({"c": RankMemory(0, NOW - DEBOUNCE_S)}, CHAIN, id="expired"),
        pytest.param({"c": RankMemory(0, NOW - 1)}, ("c", "a", "b"), id="fresh-pins"),
    ],
)
def test_memory_edge_cases(memory: dict[str, RankMemory], expected: tuple[str, ...]) -> None:
    result = adaptive_order(CHAIN, [], memory, NOW)
    assert result.order == expected
    assert {name: m.rank for name, m in result.memory.items()} == {
        name: rank for rank, name in enumerate(result.order) if name in result.memory
    }


def test_memory_of_names_no_longer_in_the_chain_is_dropped() -> None:
    result = adaptive_order(("a", "b"), [], {"gone": RankMemory(0, NOW - 1)}, NOW)
    assert result.order == ("a", "b")
    assert result.memory == {}


def test_chain_naming_a_provider_twice_is_left_alone() -> None:
    chain = ("a", "b", "a")
    result = adaptive_order(chain, _seen("a", 5, failures=5), {"a": RankMemory(1, NOW - 1)}, NOW)
    assert result.order == chain
    assert result.memory == {}
    assert result.stats["a"].error_rate == 1.0


def test_memory_is_per_profile() -> None:
    observations = _seen("b", 5, failures=5)
    coding = adaptive_order(("a", "b"), observations, {}, NOW)
    writing = adaptive_order(("b", "a"), observations, {}, NOW)
    assert (coding.order, coding.memory) == (("a", "b"), {})
    assert writing.order == ("a", "b")
    assert writing.memory == {"a": RankMemory(0, NOW), "b": RankMemory(1, NOW)}


def test_order_is_always_a_permutation_and_settles_on_the_computed_order() -> None:
    rng = random.Random(20240601)
    for _ in range(120):
        size = rng.randint(1, 6)
        chain = tuple(f"p{i}" for i in range(size))
        memory = {
            name: RankMemory(rng.randrange(-1, size + 1), NOW - rng.uniform(-5, 40))
            for name in chain
            if rng.random() < 0.7
        }
        health = {name: rng.choice(["fast", "slow", "failing"]) for name in chain}

        def observed(now: float, health: dict[str, str] = health) -> list[Observation]:
            seen: list[Observation] = []
            for name, kind in health.items():
                latency = 1000.0 if kind == "slow" else 100.0
                seen += _seen(name, 6, latency, failures=6 if kind == "failing" else 0, at=now)
            return seen

        settled = adaptive_order(chain, observed(NOW), {}, NOW).order
        now = NOW
        result = adaptive_order(chain, observed(now), memory, now)
        while now < NOW + 600:
            assert sorted(result.order) == sorted(chain)
            assert all(result.order.index(name) == m.rank for name, m in result.memory.items())
            now += rng.uniform(0.5, 20)
            result = adaptive_order(chain, observed(now), result.memory, now)
        assert result.order == settled
