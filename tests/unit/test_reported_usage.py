"""Reading an upstream answer's usage: the plain-int fast path gives what the model gives, and
anything else (nulls, strings, bools) still goes through the model."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from pydantic import ValidationError

from coderouter_supervisor.worker.adapters.anthropic_upstream import ANTHROPIC_UPSTREAM, plain_anthropic_usage
from coderouter_supervisor.worker.adapters.openai_compat_upstream import (
    OPENAI_COMPAT_UPSTREAM,
    plain_openai_usage,
)
from coderouter_supervisor.worker.protocol import CompletionUsage, Usage
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    UsageReport,
    usage_from_anthropic,
    usage_from_openai,
)


def by_model_anthropic(usage: dict[str, Any]) -> UsageReport:
    with contextlib.suppress(ValidationError):
        return UsageReport(usage_from_anthropic(Usage.model_validate(usage)), final=True)
    return NO_USAGE


def by_model_openai(usage: dict[str, Any]) -> UsageReport:
    with contextlib.suppress(ValidationError):
        return UsageReport(usage_from_openai(CompletionUsage.model_validate(usage)), final=True)
    return NO_USAGE


ANTHROPIC_PLAIN = [
    pytest.param({"input_tokens": 12, "output_tokens": 30}, id="counts"),
    pytest.param(
        {
            "input_tokens": 12,
            "output_tokens": 30,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        },
        id="zero-caches",
    ),
    pytest.param(
        {
            "input_tokens": 3,
            "output_tokens": 9,
            "cache_read_input_tokens": 900,
            "cache_creation_input_tokens": 70,
        },
        id="cache-tokens",
    ),
    pytest.param({"input_tokens": 3, "output_tokens": 9, "cache_read_input_tokens": None}, id="null-cache"),
    pytest.param({"input_tokens": -4, "output_tokens": -1, "cache_read_input_tokens": -2}, id="negative"),
    pytest.param({}, id="empty"),
    pytest.param({"output_tokens": 5, "service_tier": "standard"}, id="extra-key"),
    pytest.param({"input_tokens": 10**15, "output_tokens": 1}, id="huge"),
]
ANTHROPIC_OTHER = [
    pytest.param({"input_tokens": None, "output_tokens": 3}, id="null-input-refused"),
    pytest.param({"input_tokens": "12", "output_tokens": 3}, id="string-coerced"),
    pytest.param({"input_tokens": 12.0, "output_tokens": 3}, id="float-coerced"),
    pytest.param({"input_tokens": 1.5, "output_tokens": 3}, id="fraction-refused"),
    pytest.param({"input_tokens": True, "output_tokens": 3}, id="bool"),
    pytest.param({"input_tokens": 1, "cache_read_input_tokens": "x"}, id="bad-cache-refused"),
]


@pytest.mark.parametrize("usage", ANTHROPIC_PLAIN)
def test_plain_anthropic_usage_is_read_as_the_model_reads_it(usage: dict[str, Any]) -> None:
    assert plain_anthropic_usage(usage) is not None
    assert ANTHROPIC_UPSTREAM.reported_usage({"usage": usage}) == by_model_anthropic(usage)


@pytest.mark.parametrize("usage", ANTHROPIC_OTHER)
def test_other_anthropic_usage_goes_through_the_model(usage: dict[str, Any]) -> None:
    assert plain_anthropic_usage(usage) is None
    assert ANTHROPIC_UPSTREAM.reported_usage({"usage": usage}) == by_model_anthropic(usage)


OPENAI_PLAIN = [
    pytest.param({"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}, id="counts"),
    pytest.param({"prompt_tokens": -3, "completion_tokens": -5}, id="negative"),
    pytest.param({}, id="empty"),
    pytest.param(
        {"prompt_tokens": 5, "completion_tokens": 1, "prompt_tokens_details": None}, id="null-details"
    ),
    pytest.param({"prompt_tokens": 5, "completion_tokens": 1, "cost": 0.01}, id="extra-key"),
    pytest.param(
        {"prompt_tokens": 100, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": 60}},
        id="cache-read",
    ),
    pytest.param(
        {"prompt_tokens": 100, "completion_tokens": 7, "prompt_tokens_details": {"cache_write_tokens": 40}},
        id="cache-write",
    ),
    pytest.param(
        {"prompt_tokens": 1, "completion_tokens": 7, "completion_tokens_details": {"reasoning_tokens": 5}},
        id="reasoning",
    ),
    pytest.param(
        {
            "prompt_tokens": 100,
            "completion_tokens": 7,
            "total_tokens": 107,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
            },
        },
        id="openai-details",
    ),
    pytest.param(
        {
            "prompt_tokens": 100,
            "completion_tokens": 7,
            "prompt_tokens_details": {"cache_creation_tokens": 30},
        },
        id="openrouter-cache-write",
    ),
    pytest.param(
        {
            "prompt_tokens": 10,
            "completion_tokens": 7,
            "prompt_tokens_details": {"cached_tokens": 60, "cache_write_tokens": None},
            "completion_tokens_details": {"reasoning_tokens": None},
        },
        id="null-inner-counts",
    ),
]
OPENAI_OTHER = [
    pytest.param({"prompt_tokens": None, "completion_tokens": 3}, id="null-refused"),
    pytest.param({"prompt_tokens": "12", "completion_tokens": 3}, id="string-coerced"),
    pytest.param({"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": "x"}, id="bad-total-refused"),
    pytest.param({"prompt_tokens": False, "completion_tokens": 3}, id="bool"),
    pytest.param(
        {"prompt_tokens": 9, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": "4"}},
        id="string-inner-count",
    ),
    pytest.param(
        {"prompt_tokens": 9, "completion_tokens": 3, "completion_tokens_details": {"reasoning_tokens": True}},
        id="bool-inner-count",
    ),
    pytest.param(
        {"prompt_tokens": 9, "completion_tokens": 3, "prompt_tokens_details": [1]}, id="details-list"
    ),
]


@pytest.mark.parametrize("usage", OPENAI_PLAIN)
def test_plain_openai_usage_is_read_as_the_model_reads_it(usage: dict[str, Any]) -> None:
    assert plain_openai_usage(usage) is not None
    assert OPENAI_COMPAT_UPSTREAM.reported_usage({"usage": usage}) == by_model_openai(usage)


@pytest.mark.parametrize("usage", OPENAI_OTHER)
def test_other_openai_usage_goes_through_the_model(usage: dict[str, Any]) -> None:
    assert plain_openai_usage(usage) is None
    assert OPENAI_COMPAT_UPSTREAM.reported_usage({"usage": usage}) == by_model_openai(usage)


@pytest.mark.parametrize(
    "payload", [pytest.param({}, id="no-usage"), pytest.param({"usage": [1]}, id="not-an-object")]
)
def test_an_answer_without_usage_reports_none(payload: dict[str, Any]) -> None:
    assert ANTHROPIC_UPSTREAM.reported_usage(payload) is NO_USAGE
    assert OPENAI_COMPAT_UPSTREAM.reported_usage(payload) is NO_USAGE
