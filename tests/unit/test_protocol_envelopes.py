from __future__ import annotations

import json

import anthropic
import pytest

from coderouter_supervisor.worker.errors import (
    AuthenticationFailed,
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
    UpstreamHTTPError,
    UpstreamOutOfMemory,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.protocol import (
    SSEDecoder,
    anthropic_error_envelope,
    anthropic_error_type,
    anthropic_status,
    encode_anthropic_stream_error,
    encode_openai_stream_error,
    error_headers,
    openai_error_envelope,
    openai_status,
)

# error, (anthropic status, type, message), (openai status, type, param, code)
CASES = [
    pytest.param(
        InvalidRequest("messages.0.role: bad", field="messages.0.role"),
        (400, "invalid_request_error", "messages.0.role: bad"),
        (400, "invalid_request_error", "messages.0.role", None),
        id="invalid-request",
    ),
    pytest.param(
        AuthenticationFailed("missing key"),
        (401, "authentication_error", "missing key"),
        (401, "authentication_error", None, "invalid_api_key"),
        id="authentication",
    ),
    pytest.param(
        PermissionDenied("admin only"),
        (403, "permission_error", "admin only"),
        (403, "permission_error", None, None),
        id="permission",
    ),
    pytest.param(
        NotFound("no such route"),
        (404, "not_found_error", "no such route"),
        (404, "not_found_error", None, None),
        id="not-found",
    ),
    pytest.param(
        RequestTooLarge("body over 32 MB"),
        (413, "request_too_large", "body over 32 MB"),
        (413, "invalid_request_error", None, "request_too_large"),
        id="too-large",
    ),
    pytest.param(
        UpstreamHTTPError("slow down", provider="p", upstream_status=429, retry_after=2),
        (429, "rate_limit_error", "slow down"),
        (429, "rate_limit_error", None, "rate_limit_exceeded"),
        id="rate-limit",
    ),
    pytest.param(
        UpstreamHTTPError("boom", provider="p", upstream_status=500),
        (502, "api_error", "boom"),
        (502, "server_error", None, None),
        id="upstream-500",
    ),
    pytest.param(
        UpstreamConnectError("connection refused", provider="p"),
        (502, "api_error", "connection refused"),
        (502, "server_error", None, None),
        id="connect",
    ),
    pytest.param(
        UpstreamTimeout("no answer in 60 s", provider="p"),
        (504, "timeout_error", "no answer in 60 s"),
        (504, "timeout_error", None, "timeout"),
        id="timeout",
    ),
    pytest.param(
        UpstreamOutOfMemory("cudaMalloc failed: out of memory", provider="p"),
        (529, "overloaded_error", "cudaMalloc failed: out of memory"),
        (503, "server_error", None, "overloaded"),
        id="out-of-memory",
    ),
    pytest.param(
        ContextOverflow("request (13392 tokens) exceeds ...", provider="p", tokens=13392, maximum=8192),
        (400, "invalid_request_error", "prompt is too long: 13392 tokens > 8192 maximum"),
        (400, "invalid_request_error", None, "context_length_exceeded"),
        id="context-overflow",
    ),
    pytest.param(
        ContextOverflow("greater than the context length", provider="p"),
        (400, "invalid_request_error", "prompt is too long: greater than the context length"),
        (400, "invalid_request_error", None, "context_length_exceeded"),
        id="context-overflow-without-numbers",
    ),
    pytest.param(
        MidStreamFailure("upstream closed", provider="p"),
        (502, "api_error", "upstream closed"),
        (502, "server_error", None, None),
        id="mid-stream",
    ),
    pytest.param(
        NoProviderLeft("no provider left"),
        (502, "api_error", "no provider left"),
        (502, "server_error", None, None),
        id="no-provider-left",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("error", "anthropic_side", "openai_side"), CASES)
def test_error_envelopes_for_both_protocols(
    error: GatewayError,
    anthropic_side: tuple[int, str, str],
    openai_side: tuple[int, str, str | None, str | None],
) -> None:
    a_status, a_type, a_message = anthropic_side
    o_status, o_type, o_param, o_code = openai_side
    assert error.status == a_status
    assert anthropic_error_envelope(error).to_wire() == {
        "type": "error",
        "error": {"type": a_type, "message": a_message},
    }
    if a_type != "request_too_large":  # the SDK's error union lacks it, though the API sends it
        parsed = anthropic.types.shared.ErrorResponse.model_validate(
            anthropic_error_envelope(error).to_wire()
        )
        assert parsed.error.type == a_type
    assert openai_status(error) == o_status
    assert openai_error_envelope(error).to_wire() == {
        "error": {"message": error.message, "type": o_type, "param": o_param, "code": o_code}
    }


def test_anthropic_stream_error_is_a_named_event() -> None:
    frame = encode_anthropic_stream_error(UpstreamOutOfMemory("out of memory", provider="p"))
    assert frame == (
        b"event: error\n"
        b'data: {"type":"error","error":{"type":"overloaded_error","message":"out of memory"}}\n\n'
    )


def test_openai_stream_error_is_a_chunk_and_no_done() -> None:
    frame = encode_openai_stream_error(MidStreamFailure("upstream closed", provider="p"))
    events = SSEDecoder().feed(frame)
    assert [e.data for e in events] == [
        '{"error":{"message":"upstream closed","type":"server_error","param":null,"code":null}}',
    ]
    assert json.loads(events[0].data)["error"]["message"] == "upstream closed"


@pytest.mark.parametrize(
    ("error", "headers"),
    [
        pytest.param(
            UpstreamHTTPError("x", provider="p", upstream_status=429, retry_after=1.2),
            {"retry-after": "2", "x-should-retry": "true"},
            id="rate-limit-rounds-up",
        ),
        pytest.param(InvalidRequest("x"), {"x-should-retry": "false"}, id="client-fault"),
        pytest.param(
            ContextOverflow("x", provider="p"), {"x-should-retry": "false"}, id="overflow-is-not-retried"
        ),
        pytest.param(UpstreamOutOfMemory("x", provider="p"), {"x-should-retry": "true"}, id="overloaded"),
        pytest.param(
            KeyBudgetExhausted("spent", resets_in_s=2_153_756),
            {"x-should-retry": "false"},
            id="spent-key-budget-no-month-long-wait",
        ),
        pytest.param(
            KeyRateLimited("busy", limit="max_concurrent", value=1, retry_after=1),
            {"retry-after": "1", "x-should-retry": "true"},
            id="key-rate-limit-passes",
        ),
        pytest.param(NoProviderLeft("gated"), {"x-should-retry": "false"}, id="every-provider-gated"),
        pytest.param(
            NoProviderLeft("cooling", retry_after=5),
            {"retry-after": "5", "x-should-retry": "true"},
            id="every-provider-cooling-down",
        ),
        pytest.param(
            NoProviderLeft("failed", errors=(UpstreamConnectError("x", provider="p"),)),
            {"x-should-retry": "true"},
            id="every-provider-failed",
        ),
    ],
)
def test_error_headers(error: GatewayError, headers: dict[str, str]) -> None:
    assert error_headers(error) == headers


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        pytest.param(400, "invalid_request_error", id="400"),
        pytest.param(401, "authentication_error", id="401"),
        pytest.param(403, "permission_error", id="403"),
        pytest.param(404, "not_found_error", id="404"),
        pytest.param(413, "request_too_large", id="413"),
        pytest.param(429, "rate_limit_error", id="429"),
        pytest.param(500, "api_error", id="500"),
        pytest.param(529, "overloaded_error", id="529"),
    ],
)
def test_status_and_anthropic_type_map_both_ways(status: int, error_type: str) -> None:
    assert anthropic_error_type(status) == error_type
    assert anthropic_status(error_type) == status


def test_unlisted_statuses_fall_back_by_class() -> None:
    assert anthropic_error_type(418) == "invalid_request_error"
    assert anthropic_error_type(503) == "api_error"
    assert anthropic_status("brand_new_error") == 500
