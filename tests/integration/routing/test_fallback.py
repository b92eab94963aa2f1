"""Every upstream failure before the first byte moves on to the next provider, on both ingresses."""

from __future__ import annotations

import pytest

from .conftest import Lab
from support.fake_upstream import Failure, Hang, Reply
from support.ingress import COMBINATIONS, IngressName, events, send, wait_events

pytestmark = pytest.mark.integration

TRIGGERS = [
    pytest.param(Failure(400, "model does not support tools", "invalid_request_error"), "http-400", id="400"),
    pytest.param(Failure(401, "invalid api key", "authentication_error"), "http-401", id="401"),
    pytest.param(Failure(403, "forbidden", "permission_error"), "http-403", id="403"),
    pytest.param(Failure(404, "model 'primary-model' not found", "not_found_error"), "http-404", id="404"),
    pytest.param(Failure(408, "request timeout"), "http-408", id="408"),
    pytest.param(Failure(422, "unprocessable", "invalid_request_error"), "http-422", id="422"),
    pytest.param(Failure(425, "too early"), "http-425", id="425"),
    pytest.param(Failure(429, "slow down", "rate_limit_error", {"retry-after": "5"}), "http-429", id="429"),
    pytest.param(Failure(500, "internal error"), "http-500", id="500"),
    pytest.param(Failure(503, "unavailable"), "http-503", id="503"),
    pytest.param(Failure(500, "CUDA error: out of memory"), "out-of-memory", id="oom"),
    pytest.param(Hang(4.0), "timeout", id="timeout"),
]


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
@pytest.mark.parametrize(("failure", "reason"), TRIGGERS)
def test_failure_falls_through_to_the_next_provider(
    lab: Lab, ingress: IngressName, stream: bool, failure: Failure | Hang, reason: str
) -> None:
    lab.primary.queue(failure)
    lab.backup.reset(Reply(text="backup answered"))

    answer = send(lab.gateway, ingress, stream, profile="fallback")

    assert answer.status == 200, answer.raw
    assert answer.text == "backup answered"
    assert answer.provider == "backup"
    assert answer.fallback_chain == f"primary;failed={reason}, backup;ok"
    assert len(lab.primary.requests) == 1 and len(lab.backup.requests) == 1
    assert events(lab.gateway, "provider-failed", provider="primary", reason=reason)


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_connect_error_falls_through(lab: Lab, ingress: IngressName, stream: bool) -> None:
    answer = send(lab.gateway, ingress, stream, profile="dead-first")

    assert answer.status == 200, answer.raw
    assert answer.provider == "backup"
    assert answer.fallback_chain == "dead;failed=connect, backup;ok"


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_all_rate_limited_reports_429_with_the_shortest_wait(
    lab: Lab, ingress: IngressName, stream: bool
) -> None:
    lab.primary.queue(Failure(429, "primary busy", "rate_limit_error", {"retry-after": "30"}))
    lab.backup.queue(Failure(429, "backup busy", "rate_limit_error", {"retry-after": "4"}))

    answer = send(lab.gateway, ingress, stream, profile="fallback")

    assert answer.status == 429, answer.raw
    assert answer.headers["retry-after"] == "4"
    assert answer.error is not None and answer.error["message"] == "backup busy"


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_context_overflow_anywhere_is_the_reported_error(
    lab: Lab, ingress: IngressName, stream: bool
) -> None:
    lab.primary.queue(Failure(500, "upstream exploded"))
    lab.backup.queue(
        Failure(400, "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens")
    )

    answer = send(lab.gateway, ingress, stream, profile="fallback")

    assert answer.status == 400, answer.raw
    assert answer.error is not None
    if ingress == "anthropic":
        assert answer.error["message"] == "prompt is too long: 9000 tokens > 8192 maximum"
    else:
        assert answer.error["code"] == "context_length_exceeded"


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_paid_provider_is_skipped_without_allow_paid(lab: Lab, ingress: IngressName, stream: bool) -> None:
    answer = send(lab.gateway, ingress, stream, profile="paid-first")

    assert answer.status == 200, answer.raw
    assert answer.provider == "backup"
    assert answer.fallback_chain == "claude-paid;skipped=paid, backup;ok"
    assert lab.claude.requests == []
    assert events(lab.gateway, "skip-paid-provider", provider="claude-paid", profile="paid-first")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_chain_of_only_paid_providers_is_refused_with_the_hint(
    lab: Lab, ingress: IngressName, stream: bool
) -> None:
    answer = send(lab.gateway, ingress, stream, profile="paid-only")

    assert answer.status == 502, answer.raw
    assert answer.error is not None and "ALLOW_PAID=true" in answer.error["message"]
    assert lab.claude.requests == []
    assert wait_events(lab.gateway, "chain-paid-gate-blocked", profile="paid-only")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_both_ingresses_make_the_same_decision(lab: Lab, ingress: IngressName, stream: bool) -> None:
    lab.primary.queue(Failure(401, "bad key"))
    first = send(lab.gateway, ingress, stream, profile="fallback")
    lab.primary.queue(Failure(401, "bad key"))
    other: IngressName = "openai" if ingress == "anthropic" else "anthropic"
    second = send(lab.gateway, other, not stream, profile="fallback")

    assert first.status == second.status == 200
    assert first.provider == second.provider == "backup"
    assert first.fallback_chain == second.fallback_chain == "primary;failed=http-401, backup;ok"
