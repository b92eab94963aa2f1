"""The free-provider fast path of pricing gives what the general path gives: same usage recorded,
a cost of exactly zero in every part, the same event fields."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from coderouter_supervisor.worker.config import CostConfig, ProviderConfig
from coderouter_supervisor.worker.money import RequestShape, price_attempt, price_usage, usage_to_record
from coderouter_supervisor.worker.money.pricing import FREE
from coderouter_supervisor.worker.translate import InputBound, TokenUsage, UsageReport

UNPRICED_COSTS = [
    pytest.param(None, id="no-cost-section"),
    pytest.param(CostConfig(monthly_budget_usd=5.0), id="budget-only"),
    pytest.param(
        CostConfig(input_tokens_per_million=0.0, output_tokens_per_million=0.0, cache_creation_premium=2.0),
        id="zero-rates",
    ),
    pytest.param(CostConfig(cache_read_discount=1.0, cache_creation_premium=0.0), id="factors-only"),
]
PRICED = CostConfig(input_tokens_per_million=3.0, output_tokens_per_million=15.0)
SHAPE = RequestShape(input=InputBound(text_tokens=700), max_tokens=300, streaming=False, cache_control=True)


def generated_usages(seed: int, count: int = 200) -> list[TokenUsage]:
    """Usage with cache tokens, zeros and negative counts (a confused upstream) mixed in."""
    rng = random.Random(seed)

    def tokens() -> int:
        return rng.choice((0, -3, 1, rng.randint(0, 10**7)))

    return [TokenUsage(tokens(), tokens(), tokens(), tokens()) for _ in range(count)]


USAGES = generated_usages(19)
REPORTS = [UsageReport(None), UsageReport(None, final=True)] + [
    UsageReport(used, final=index % 2 == 0) for index, used in enumerate(USAGES)
]


def provider(cost: CostConfig | None) -> ProviderConfig:
    return ProviderConfig(name="p", kind="anthropic", base_url="http://127.0.0.1:1", model="m", cost=cost)


def is_positive_zero(value: float) -> bool:
    return value == 0.0 and math.copysign(1.0, value) == 1.0


@pytest.mark.parametrize("cost", UNPRICED_COSTS)
def test_an_unpriced_attempt_is_recorded_as_the_general_path_records_it(cost: CostConfig | None) -> None:
    free = provider(cost)
    for report in REPORTS:
        priced = price_attempt(report, free, SHAPE)
        assert priced.used == usage_to_record(report, free, SHAPE)
        assert priced.reported == (report.usage if report.final else None)
        assert not priced.priced and not priced.estimated and not priced.charged_without_hold
        # Zero rates times counts clamped at zero: every part is +0.0, as the arithmetic would give.
        assert all(is_positive_zero(part) for part in dataclasses.astuple(priced.cost))
        assert priced.cost.as_event_fields() == priced.cost.rounded_event_fields()


@pytest.mark.parametrize("cost", UNPRICED_COSTS)
def test_an_unpriced_usage_costs_free(cost: CostConfig | None) -> None:
    assert all(price_usage(cost, used) is FREE for used in USAGES)


def test_a_priced_attempt_still_takes_the_general_path() -> None:
    paid = provider(PRICED)
    for report in REPORTS:
        priced = price_attempt(report, paid, SHAPE)
        used = usage_to_record(report, paid, SHAPE)
        assert priced.used == used
        assert priced.cost == price_usage(PRICED, used)
        assert priced.priced
        assert priced.cost.as_event_fields() == priced.cost.rounded_event_fields()


def test_free_event_fields_are_a_fresh_dict_each_time() -> None:
    fields = FREE.as_event_fields()
    fields["cost_usd"] = 9.0
    assert FREE.as_event_fields()["cost_usd"] == 0.0
    assert FREE.as_event_fields() == FREE.rounded_event_fields()
