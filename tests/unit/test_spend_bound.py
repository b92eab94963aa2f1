"""The input bound a hold reserves, and what an attempt with unknown usage is recorded at."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from coderouter_supervisor.state import ClientKey
from coderouter_supervisor.worker.adapters import CHOICE_ANSWERING_KINDS
from coderouter_supervisor.worker.config import CostConfig, ProviderConfig
from coderouter_supervisor.worker.errors import (
    MidStreamFailure,
    NoProviderLeft,
    UpstreamAnswerTooLarge,
    UpstreamConnectError,
    UpstreamError,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.money import (
    RequestShape,
    Spend,
    add_spend,
    attempt_worst_case,
    barred_while_unchecked,
    maybe_billed,
    price_attempt,
    price_usage,
    request_worst_case,
    usage_to_record,
)
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    InputBound,
    TokenUsage,
    UsageReport,
    input_token_bound,
)

# A tokenizer no real one is worse than: 1.5 tokens per character outside ASCII (CJK, emoji),
# one per ASCII character (real ones average four characters a token).
PER_REQUEST, PER_MESSAGE, TOOLS = 16, 8, 1000


def pessimistic_tokens(text: str) -> float:
    return sum(1.0 if ord(ch) < 128 else 1.5 for ch in text)


def user(content: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": content}]}


def image(data_chars: int) -> dict[str, Any]:
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "A" * data_chars},
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("x" * 400, 400, id="ascii-one-per-byte"),
        pytest.param("漢" * 100, 300, id="cjk-three-bytes-each"),
        pytest.param("🙂" * 100, 400, id="emoji-four-bytes-each"),
        pytest.param("é" * 10, 20, id="latin-accents-two-bytes"),
    ],
)
def test_text_counts_one_token_per_utf8_byte(text: str, expected: int) -> None:
    assert input_token_bound(user(text)) == InputBound(expected + PER_REQUEST + PER_MESSAGE)


def test_no_script_outruns_the_bound() -> None:
    planes = [
        (0x20, 0x7E),
        (0x400, 0x4FF),
        (0x3040, 0x30FF),
        (0x4E00, 0x9FFF),
        (0xAC00, 0xD7A3),
        (0x1F300, 0x1FAFF),
    ]
    rng = random.Random(14)
    for low, high in planes:
        text = "".join(chr(rng.randint(low, high)) for _ in range(500))
        assert input_token_bound(user(text)).text_tokens >= pessimistic_tokens(text) + PER_MESSAGE


def test_everything_the_model_reads_counts() -> None:
    base = input_token_bound(user("hi")).text_tokens
    system = {**user("hi"), "system": "s" * 100}
    assert input_token_bound(system).text_tokens == base + 100
    tool = {"name": "read_file", "description": "d" * 50, "input_schema": {"type": "object"}}
    with_tools = input_token_bound({**user("hi"), "tools": [tool]}).text_tokens
    assert with_tools >= base + TOOLS + len("read_file") + 50 + len('{"type":"object"}')
    turns = {
        "messages": [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "r" * 300}],
            },
        ]
    }
    assert input_token_bound(turns).text_tokens >= 300 + 2 * len("toolu_1") + 2 * PER_MESSAGE
    assert input_token_bound(user("hi"), extra_text="漢" * 10).text_tokens == base + 30


@pytest.mark.parametrize(
    "part",
    [
        pytest.param(image(1_000_000), id="anthropic-image"),
        pytest.param(
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 9}}, id="openai"
        ),
    ],
)
def test_images_count_at_their_ceiling_not_their_bytes(part: dict[str, Any]) -> None:
    bound = input_token_bound(user([part]))
    assert bound == InputBound(PER_REQUEST + PER_MESSAGE, images=1)
    assert bound.tokens_for("anthropic") == PER_REQUEST + PER_MESSAGE + 1_600
    assert bound.tokens_for("openai_compat") == PER_REQUEST + PER_MESSAGE + 2_833 + 8 * 5_667


def test_a_document_counts_its_data_and_one_image() -> None:
    document = {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "B" * 5000},
    }
    assert input_token_bound(user([document])) == InputBound(5000 + PER_REQUEST + PER_MESSAGE, images=1)


PAID = CostConfig(
    input_tokens_per_million=100.0, output_tokens_per_million=1000.0, cache_creation_premium=1.0
)
OPENAI = ProviderConfig(name="o", base_url="http://o/v1", model="m", cost=PAID)
ANTHROPIC = ProviderConfig(name="a", kind="anthropic", base_url="http://a", model="m", cost=PAID)
FREE = ProviderConfig(name="f", base_url="http://f/v1", model="m")


def shape(max_tokens: int = 200, choices: int = 1, text_tokens: int = 1000) -> RequestShape:
    return RequestShape(
        InputBound(text_tokens),
        max_tokens,
        streaming=False,
        cache_control=False,
        choices=choices,
        choices_answered_by=CHOICE_ANSWERING_KINDS,
    )


@pytest.mark.parametrize(
    ("provider", "choices", "expected"),
    [
        pytest.param(OPENAI, 1, 1000 * 100e-6 + 200 * 1000e-6, id="one-choice"),
        pytest.param(OPENAI, 8, 1000 * 100e-6 + 8 * 200 * 1000e-6, id="n-choices-multiply-output"),
        pytest.param(ANTHROPIC, 8, 1000 * 100e-6 + 200 * 1000e-6, id="anthropic-answers-one-choice"),
        pytest.param(FREE, 8, 0.0, id="free"),
    ],
)
def test_a_hold_covers_every_choice(provider: ProviderConfig, choices: int, expected: float) -> None:
    assert attempt_worst_case(provider, shape(choices=choices)) == pytest.approx(expected)


def test_a_key_hold_is_the_dearest_provider_of_the_chain() -> None:
    assert request_worst_case([FREE, ANTHROPIC, OPENAI], shape(choices=2)) == attempt_worst_case(
        OPENAI, shape(choices=2)
    )
    assert request_worst_case([FREE], shape()) == 0.0


SEEN_INPUT = TokenUsage(input_tokens=40, cache_read_tokens=5, output_tokens=1)


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        pytest.param(
            UsageReport(TokenUsage(input_tokens=40, output_tokens=9), final=True),
            TokenUsage(input_tokens=40, output_tokens=9),
            id="final-report-as-is",
        ),
        pytest.param(NO_USAGE, TokenUsage(input_tokens=1000, output_tokens=400), id="nothing-reported"),
        pytest.param(
            UsageReport(SEEN_INPUT),
            TokenUsage(input_tokens=40, cache_read_tokens=5, output_tokens=400),
            id="anthropic-start-only-input-known",
        ),
        pytest.param(
            UsageReport(TokenUsage(output_tokens=900)),
            TokenUsage(input_tokens=1000, output_tokens=400),
            id="no-input-seen-counts-the-bound",
        ),
        pytest.param(
            UsageReport(TokenUsage(input_tokens=3, output_tokens=900)),
            TokenUsage(input_tokens=3, output_tokens=900),
            id="never-below-what-was-seen",
        ),
        pytest.param(
            UsageReport(None, final=True),
            TokenUsage(input_tokens=1000, output_tokens=400),
            id="final-without-usage",
        ),
    ],
)
def test_unknown_usage_is_recorded_at_the_bound(report: UsageReport, expected: TokenUsage) -> None:
    assert usage_to_record(report, OPENAI, shape(choices=2)) == expected


def test_an_estimate_never_exceeds_the_hold() -> None:
    held = attempt_worst_case(OPENAI, shape(choices=3))
    for report in (NO_USAGE, UsageReport(SEEN_INPUT)):
        recorded = price_usage(PAID, usage_to_record(report, OPENAI, shape(choices=3))).total_usd
        assert 0 < recorded <= held


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        pytest.param(NO_USAGE, TokenUsage(), id="nothing-reported"),
        pytest.param(UsageReport(SEEN_INPUT), SEEN_INPUT, id="partial-as-seen"),
    ],
)
def test_a_free_providers_unknown_usage_is_recorded_as_seen(
    report: UsageReport, expected: TokenUsage
) -> None:
    # Nothing to pay for: an estimate would only inflate a local model's token counts.
    assert usage_to_record(report, FREE, shape(choices=2)) == expected


BUDGETED = ClientKey(name="team", key_hash="h", created_at=0.0, monthly_budget_usd=5.0)


@pytest.mark.parametrize(
    ("key", "providers", "barred"),
    [
        pytest.param(None, [FREE, OPENAI], set(), id="no-key"),
        pytest.param(
            replace(BUDGETED, monthly_budget_usd=None), [FREE, OPENAI], set(), id="key-without-budget"
        ),
        pytest.param(BUDGETED, [FREE, OPENAI, ANTHROPIC], {"o", "a"}, id="budgeted-key-keeps-free-only"),
        pytest.param(BUDGETED, [FREE], set(), id="all-free"),
    ],
)
def test_an_unchecked_key_budget_bars_what_costs_money(
    key: ClientKey | None, providers: list[ProviderConfig], barred: set[str]
) -> None:
    assert barred_while_unchecked("disk full", key, providers, shape()) == barred


def test_an_unchecked_key_budget_with_no_free_provider_leaves_none() -> None:
    with pytest.raises(NoProviderLeft, match="disk full"):
        barred_while_unchecked("disk full", BUDGETED, [OPENAI, ANTHROPIC], shape())


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(UpstreamTimeout("slow", provider="o"), "upstream-timeout", id="timeout"),
        pytest.param(MidStreamFailure("cut", provider="o"), "stream-broken", id="broke-off"),
        pytest.param(UpstreamAnswerTooLarge("big", provider="o"), "answer-too-large", id="too-large"),
        pytest.param(UpstreamConnectError("refused", provider="o"), None, id="never-reached"),
    ],
)
def test_a_failure_may_be_billed_when_the_upstream_had_the_request(
    error: UpstreamError, reason: str | None
) -> None:
    assert maybe_billed(error) == reason


@pytest.mark.parametrize(
    ("provider", "report", "estimated"),
    [
        pytest.param(
            OPENAI,
            UsageReport(TokenUsage(input_tokens=10, output_tokens=5), final=True),
            False,
            id="reported",
        ),
        pytest.param(OPENAI, NO_USAGE, True, id="priced-without-usage"),
        pytest.param(ANTHROPIC, UsageReport(TokenUsage(input_tokens=10), final=False), True, id="input-only"),
        pytest.param(FREE, NO_USAGE, False, id="free-is-never-estimated"),
    ],
)
def test_an_attempt_is_recorded_at_its_price(
    provider: ProviderConfig, report: UsageReport, estimated: bool
) -> None:
    priced = price_attempt(report, provider, shape())
    assert priced.estimated is estimated
    assert priced.spend.cost_usd == pytest.approx(priced.cost.total_usd)
    assert priced.charged_without_hold is (priced.cost.total_usd > 0)
    assert priced.cost.total_usd <= attempt_worst_case(provider, shape()) + 1e-12


def test_spends_add_up() -> None:
    assert add_spend(Spend(1.0, 10, 2), Spend(0.5, 1, 1)) == Spend(1.5, 11, 3)
