from __future__ import annotations

import pytest

from coderouter_supervisor.worker.errors import (
    AuthenticationFailed,
    ClientFault,
    ContextOverflow,
    GatewayError,
    InvalidRequest,
    KeyBudgetExhausted,
    KeyRateLimited,
    MidStreamFailure,
    NoProviderLeft,
    NotFound,
    PermissionDenied,
    RequestTooLarge,
    UpstreamConnectError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamOutOfMemory,
    UpstreamTimeout,
    choose_reported_error,
)


@pytest.mark.parametrize(
    ("error", "status", "kind", "retryable"),
    [
        pytest.param(
            InvalidRequest("bad", field="messages.0.role"), 400, "invalid_request", None, id="invalid"
        ),
        pytest.param(AuthenticationFailed("no key"), 401, "authentication", None, id="auth"),
        pytest.param(PermissionDenied("no"), 403, "permission", None, id="permission"),
        pytest.param(NotFound("nope"), 404, "not_found", None, id="not-found"),
        pytest.param(RequestTooLarge("big"), 413, "request_too_large", None, id="too-large"),
        pytest.param(
            KeyRateLimited("slow", limit="max_concurrent", value=3, retry_after=1),
            429,
            "rate_limit",
            None,
            id="key-rate-limited",
        ),
        pytest.param(UpstreamConnectError("refused", provider="p"), 502, "api_error", True, id="connect"),
        pytest.param(UpstreamTimeout("slow", provider="p"), 504, "timeout", True, id="timeout"),
        pytest.param(UpstreamOutOfMemory("oom", provider="p"), 529, "overloaded", True, id="oom"),
        pytest.param(
            ContextOverflow("too long", provider="p", tokens=5, maximum=4),
            400,
            "invalid_request",
            True,
            id="ctx",
        ),
        pytest.param(MidStreamFailure("cut", provider="p"), 502, "api_error", False, id="mid-stream"),
        pytest.param(NoProviderLeft("none"), 502, "api_error", None, id="no-provider"),
    ],
)
def test_each_error_carries_status_kind_and_retryability(
    error: GatewayError, status: int, kind: str, retryable: bool | None
) -> None:
    assert (error.status, error.kind) == (status, kind)
    assert isinstance(error, GatewayError)
    if retryable is None:
        assert not isinstance(error, UpstreamError)
    else:
        assert isinstance(error, UpstreamError)
        assert error.retryable is retryable


@pytest.mark.parametrize(
    ("upstream_status", "status", "kind"),
    [
        pytest.param(400, 400, "invalid_request", id="400"),
        pytest.param(401, 502, "api_error", id="401-provider-key-is-not-the-client-key"),
        pytest.param(403, 502, "api_error", id="403"),
        pytest.param(404, 404, "not_found", id="404"),
        pytest.param(408, 504, "timeout", id="408"),
        pytest.param(409, 400, "invalid_request", id="other-4xx"),
        pytest.param(413, 413, "request_too_large", id="413"),
        pytest.param(422, 400, "invalid_request", id="422-never-reaches-the-client"),
        pytest.param(429, 429, "rate_limit", id="429"),
        pytest.param(500, 502, "api_error", id="500"),
        pytest.param(503, 529, "overloaded", id="503"),
        pytest.param(504, 504, "timeout", id="504"),
        pytest.param(529, 529, "overloaded", id="529"),
    ],
)
def test_upstream_status_maps_to_gateway_answer(upstream_status: int, status: int, kind: str) -> None:
    error = UpstreamHTTPError("verbatim", provider="p", upstream_status=upstream_status, retry_after=3)
    assert (error.status, error.kind) == (status, kind)
    assert error.message == "verbatim"
    assert error.upstream_status == upstream_status
    assert error.retry_after == 3
    assert error.retryable is True


def test_retryable_can_be_overridden() -> None:
    assert UpstreamConnectError("x", provider="p", retryable=False).retryable is False
    assert MidStreamFailure("x", provider="p", retryable=True).retryable is True


def test_client_faults_share_a_branch() -> None:
    for error in (InvalidRequest("x"), AuthenticationFailed("x"), NotFound("x")):
        assert isinstance(error, ClientFault)
    assert InvalidRequest("x", field="model").field == "model"


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        pytest.param((), None, id="nothing-tried-reports-itself"),
        pytest.param(
            (UpstreamConnectError("a", provider="1"), ContextOverflow("b", provider="2")),
            1,
            id="overflow-first",
        ),
        pytest.param(
            (
                UpstreamTimeout("a", provider="1"),
                UpstreamHTTPError("b", provider="2", upstream_status=429),
                UpstreamOutOfMemory("c", provider="3"),
            ),
            1,
            id="rate-limit-over-oom-and-timeout",
        ),
        pytest.param(
            (UpstreamConnectError("a", provider="1"), UpstreamTimeout("b", provider="2")),
            1,
            id="timeout-over-connect",
        ),
        pytest.param(
            (
                UpstreamHTTPError("a", provider="1", upstream_status=500),
                UpstreamHTTPError("b", provider="2", upstream_status=502),
            ),
            0,
            id="ties-keep-attempt-order",
        ),
    ],
)
def test_choose_reported_error(errors: tuple[GatewayError, ...], expected: int | None) -> None:
    failure = NoProviderLeft("all failed", errors=errors)
    chosen = choose_reported_error(failure)
    assert chosen is (failure if expected is None else errors[expected])


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(2_153_756, "24 days 22 h", id="weeks"),
        pytest.param(86_400, "1 day 0 h", id="one-day"),
        pytest.param(3 * 3600 + 20 * 60, "3 h 20 min", id="hours"),
        pytest.param(5, "1 min", id="under-a-minute"),
    ],
)
def test_a_spent_key_budget_says_when_it_resets(seconds: float, text: str) -> None:
    error = KeyBudgetExhausted("spent; it resets at the start of the next UTC month", resets_in_s=seconds)
    assert error.message.endswith(f"(in {text})")
    assert error.retry_after is None
    assert error.retry_can_cure is False
