"""Every priced answer is costed, prompt-cache aware, on both ingresses, streamed or not."""

from __future__ import annotations

import pytest

from .conftest import Lab
from support.fake_upstream import Reply, Usage
from support.ingress import COMBINATIONS, IngressName, send, wait_events

pytestmark = pytest.mark.integration

OUTCOMES = [
    # 100 fresh input, 10 output, 1000 read from cache: 0.0003 + 0.00015 + 0.0003 (10 % of 0.003).
    pytest.param(Usage(100, 10, cache_read_tokens=1000), "cache_hit", 0.00075, 0.0027, id="hit"),
    # 1000 written to cache at 125 % of the input price: 0.0003 + 0.00015 + 0.00375.
    pytest.param(Usage(100, 10, cache_creation_tokens=1000), "cache_creation", 0.0042, 0.0, id="creation"),
    pytest.param(Usage(100, 10), "no_cache", 0.00045, 0.0, id="none"),
]


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
@pytest.mark.parametrize(("usage", "outcome", "cost", "savings"), OUTCOMES)
def test_cache_observed_prices_the_answer(
    lab: Lab, ingress: IngressName, stream: bool, usage: Usage, outcome: str, cost: float, savings: float
) -> None:
    lab.claude.reset(Reply(text="priced", usage=usage))
    before = len(wait_events(lab.gateway, "cache-observed", count=0, provider="priced-claude"))
    marked = {"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}

    answer = send(
        lab.gateway, ingress, stream, profile="priced", messages=[{"role": "user", "content": [marked]}]
    )

    assert (answer.status, answer.provider) == (200, "priced-claude"), answer.raw
    observed = wait_events(lab.gateway, "cache-observed", count=before + 1, provider="priced-claude")[before]
    assert observed["outcome"] == outcome
    assert observed["streaming"] is stream
    assert observed["request_had_cache_control"] is True
    assert (observed["cache_read_input_tokens"], observed["cache_creation_input_tokens"]) == (
        usage.cache_read_tokens,
        usage.cache_creation_tokens,
    )
    assert observed["cost_usd"] == pytest.approx(cost)
    assert observed["cost_savings_usd"] == pytest.approx(savings)
