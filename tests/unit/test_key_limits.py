"""A client key's limit refusals: what the client is told, in both protocols."""

from __future__ import annotations

import pytest

from coderouter_supervisor.state import Refused
from coderouter_supervisor.worker.engine import refusal_message
from coderouter_supervisor.worker.errors import ClientFault, KeyRateLimited
from coderouter_supervisor.worker.protocol import (
    anthropic_error_envelope,
    error_headers,
    openai_error_envelope,
    openai_status,
)


@pytest.mark.parametrize(
    ("refused", "says"),
    [
        pytest.param(
            Refused("max_concurrent", 3, 1.0),
            "client key 'ci-bot' is at its limit of 3 concurrent requests",
            id="concurrency",
        ),
        pytest.param(
            Refused("requests_per_minute", 5, 42.0),
            "client key 'ci-bot' is at its limit of 5 requests per minute; retry in 42 s",
            id="per-minute",
        ),
    ],
)
def test_refusal_names_the_key_the_limit_and_its_value(refused: Refused, says: str) -> None:
    assert says in refusal_message("ci-bot", refused)


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [pytest.param(1.0, "1", id="concurrency"), pytest.param(41.2, "42", id="per-minute-rounds-up")],
)
def test_key_rate_limited_renders_as_a_429_in_both_protocols(retry_after: float, header: str) -> None:
    error = KeyRateLimited(
        "client key 'a' is at its limit", limit="max_concurrent", value=3, retry_after=retry_after
    )
    assert isinstance(error, ClientFault)
    assert (error.limit, error.value) == ("max_concurrent", 3)
    assert anthropic_error_envelope(error).to_wire() == {
        "type": "error",
        "error": {"type": "rate_limit_error", "message": error.message, "code": "key_rate_limited"},
    }
    assert openai_status(error) == 429
    assert openai_error_envelope(error).to_wire() == {
        "error": {
            "message": error.message,
            "type": "rate_limit_error",
            "param": None,
            "code": "key_rate_limited",
        }
    }
    assert error_headers(error) == {"retry-after": header, "x-should-retry": "true"}
