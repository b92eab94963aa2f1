"""Pricing an attempt from its usage, the budget reservation for a request, and cache outcomes."""

from __future__ import annotations

import dataclasses

import pytest

from coderouter_supervisor.worker.config import CostConfig
from coderouter_supervisor.worker.money.pricing import (
    FREE,
    AttemptCost,
    cache_outcome,
    is_priced,
    price_usage,
    worst_case_cost,
)
from coderouter_supervisor.worker.translate import TokenUsage

SONNET = CostConfig(input_tokens_per_million=3.0, output_tokens_per_million=15.0)


def usage(inp: int = 0, out: int = 0, read: int = 0, create: int = 0) -> TokenUsage:
    return TokenUsage(
        input_tokens=inp, output_tokens=out, cache_read_tokens=read, cache_creation_tokens=create
    )


def parts(cost: AttemptCost) -> tuple[float, ...]:
    return (
        cost.input_usd,
        cost.output_usd,
        cost.cache_read_usd,
        cost.cache_creation_usd,
        cost.total_usd,
        cost.savings_usd,
    )


@pytest.mark.parametrize(
    ("cost", "tokens", "expected"),
    [
        pytest.param(
            SONNET,
            usage(1_000_000, 10, read=200_000),
            (3.0, 0.00015, 0.06, 0.0, 3.06015, 0.54),
            id="reference-check-3.06015",
        ),
        pytest.param(
            SONNET,
            usage(create=1_000_000),
            (0.0, 0.0, 0.0, 3.75, 3.75, 0.0),
            id="cache-write-default-premium",
        ),
        pytest.param(
            SONNET, usage(read=1_000_000), (0.0, 0.0, 0.3, 0.0, 0.3, 2.7), id="cache-read-default-discount"
        ),
        pytest.param(
            CostConfig(input_tokens_per_million=2.0, cache_read_discount=0.5, cache_creation_premium=2.0),
            usage(read=1_000_000, create=1_000_000),
            (0.0, 0.0, 1.0, 4.0, 5.0, 1.0),
            id="custom-discount-and-premium",
        ),
        pytest.param(
            CostConfig(input_tokens_per_million=3.0, cache_read_discount=1.0),
            usage(read=1_000_000),
            (0.0, 0.0, 3.0, 0.0, 3.0, 0.0),
            id="no-discount-saves-nothing",
        ),
        pytest.param(
            SONNET,
            usage(-5, -1, read=-100, create=-100),
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
            id="negative-counts-are-zero",
        ),
        pytest.param(
            SONNET,
            usage(1_000_000, -1, read=-1),
            (3.0, 0.0, 0.0, 0.0, 3.0, 0.0),
            id="negative-parts-do-not-refund",
        ),
        pytest.param(
            CostConfig(output_tokens_per_million=10.0),
            usage(1_000_000, 1_000_000, read=5, create=5),
            (0.0, 10.0, 0.0, 0.0, 10.0, 0.0),
            id="unpriced-input-prices-output-only",
        ),
        pytest.param(CostConfig(), usage(1_000, 1_000), (0.0,) * 6, id="section-without-rates"),
    ],
)
def test_price_usage(cost: CostConfig, tokens: TokenUsage, expected: tuple[float, ...]) -> None:
    assert parts(price_usage(cost, tokens)) == pytest.approx(expected)


def test_no_cost_section_is_free() -> None:
    assert price_usage(None, usage(1_000_000, 1_000_000, read=1, create=1)) == FREE
    assert parts(FREE) == (0.0,) * 6


def test_event_fields_are_rounded_to_micro_dollars() -> None:
    fields = price_usage(SONNET, usage(1_000_000, 10, read=200_000)).as_event_fields()
    assert fields == {
        "cost_usd": 3.06015,
        "cost_savings_usd": 0.54,
        "cost_input_usd": 3.0,
        "cost_output_usd": 0.00015,
        "cost_cache_read_usd": 0.06,
        "cost_cache_creation_usd": 0.0,
    }
    tiny = dataclasses.replace(FREE, total_usd=1.23456789e-3, savings_usd=4.4e-7).as_event_fields()
    assert (tiny["cost_usd"], tiny["cost_savings_usd"]) == (0.001235, 0.0)


@pytest.mark.parametrize(
    ("cost", "input_tokens", "max_tokens", "expected"),
    [
        pytest.param(SONNET, 1_000_000, 64_000, 3.0 * 1.25 + 0.96, id="cache-write-rate-plus-all-output"),
        pytest.param(
            CostConfig(input_tokens_per_million=3.0, cache_creation_premium=0.5),
            1_000_000,
            0,
            3.0,
            id="full-input-rate-when-cache-writes-are-cheaper",
        ),
        pytest.param(
            CostConfig(input_tokens_per_million=3.0, cache_read_discount=0.0),
            1_000_000,
            0,
            3.75,
            id="ignores-cache-discount",
        ),
        pytest.param(SONNET, -10, -10, 0.0, id="negative-counts-are-zero"),
        pytest.param(CostConfig(output_tokens_per_million=8.0), 10**9, 1_000_000, 8.0, id="output-only-rate"),
        pytest.param(None, 1_000_000, 64_000, 0.0, id="no-cost-section"),
    ],
)
def test_worst_case_cost(
    cost: CostConfig | None, input_tokens: int, max_tokens: int, expected: float
) -> None:
    assert worst_case_cost(cost, input_tokens=input_tokens, max_tokens=max_tokens) == pytest.approx(expected)


@pytest.mark.parametrize(
    "used",
    [
        pytest.param(usage(100_000, 32_000, read=20_000), id="cache-read"),
        pytest.param(usage(0, 32_000, create=120_000), id="all-input-written-to-cache"),
        pytest.param(usage(120_000, 32_000), id="no-cache"),
    ],
)
def test_worst_case_bounds_any_usage_within_its_counts(used: TokenUsage) -> None:
    reserved = worst_case_cost(SONNET, input_tokens=120_000, max_tokens=32_000)
    assert reserved >= price_usage(SONNET, used).total_usd


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        pytest.param(None, "unknown", id="no-usage"),
        pytest.param(usage(10, 5, read=1), "cache_hit", id="read"),
        pytest.param(usage(10, 5, read=1, create=1), "cache_hit", id="read-wins-over-creation"),
        pytest.param(usage(10, 5, create=1), "cache_creation", id="creation"),
        pytest.param(usage(10, 5), "no_cache", id="usage-without-cache"),
        pytest.param(usage(), "no_cache", id="all-zero-usage"),
    ],
)
def test_cache_outcome(tokens: TokenUsage | None, expected: str) -> None:
    assert cache_outcome(tokens) == expected


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        pytest.param(None, False, id="no-section"),
        pytest.param(CostConfig(), False, id="no-rates"),
        pytest.param(
            CostConfig(input_tokens_per_million=0.0, output_tokens_per_million=0.0), False, id="zero"
        ),
        pytest.param(CostConfig(monthly_budget_usd=5.0), False, id="budget-only"),
        pytest.param(CostConfig(input_tokens_per_million=0.1), True, id="input-rate"),
        pytest.param(CostConfig(output_tokens_per_million=0.1), True, id="output-rate"),
    ],
)
def test_is_priced(cost: CostConfig | None, expected: bool) -> None:
    assert is_priced(cost) is expected
