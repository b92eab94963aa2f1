"""What the gateway writes on the wire for a model call: the exact head of a whole answer, an error
answer and a stream (as Starlette's responses wrote them), and a stream whose client leaves: the
upstream stream is stopped and the budget hold settles, once, even before the first frame."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream, Reply, Usage
from support.gateway_process import Gateway, start_gateway
from support.ingress import events, wait_events

pytestmark = pytest.mark.integration

ANTHROPIC_HEADERS = {"x-api-key": "sk-client", "anthropic-version": "2023-06-01"}
# $1000 per million tokens: a hold and a spend worth seeing in the ledger.
PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0}
USAGE = Usage(input_tokens=3, output_tokens=10)


@dataclass
class Served:
    gateway: Gateway
    upstream: FakeUpstream

    def post(self, body: dict[str, object], timeout: float = 30) -> httpx.Response:
        return httpx.post(
            f"{self.gateway.base_url}/v1/messages", json=body, headers=ANTHROPIC_HEADERS, timeout=timeout
        )

    def reserved_usd(self) -> float:
        result = self.gateway.cli("budget", "--json")
        assert result.returncode == 0, result.stderr
        [line] = [line for line in json.loads(result.stdout) if line["provider"] == "metered"]
        return float(line["reserved_usd"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with FakeUpstream("metered-model") as upstream:
        config = providers_yaml(
            [
                {
                    "name": "metered",
                    "kind": "anthropic",
                    "base_url": upstream.anthropic_base_url,
                    "model": "metered-model",
                    "cost": {**PRICES, "monthly_budget_usd": 100.0},
                    "timeout_s": 60,
                },
            ],
            {"metered": ["metered"]},
        )
        gateway = start_gateway(tmp_path_factory.mktemp("gateway"), config_text=config)
        try:
            yield Served(gateway, upstream)
        finally:
            gateway.shut_down()


@pytest.fixture
def fresh(served: Served) -> Served:
    served.upstream.reset(Reply(usage=USAGE))
    return served


def _body(stream: bool, **extra: object) -> dict[str, object]:
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 64,
        "stream": stream,
        "messages": [{"role": "user", "content": "hello"}],
        **extra,
    }


def _head(response: httpx.Response) -> list[tuple[str, str]]:
    """The answer's headers in order, with the values that change per request blanked."""
    varying = {"date", "x-request-id", "content-length"}
    return [
        (name.decode(), "*" if name.decode() in varying else value.decode())
        for name, value in response.headers.raw
    ]


def test_the_head_of_a_whole_answer(fresh: Served) -> None:
    response = fresh.post(_body(False))
    assert response.status_code == 200
    assert _head(response) == [
        ("date", "*"),
        ("x-coderouter-profile", "metered"),
        ("x-coderouter-provider", "metered"),
        ("content-length", "*"),
        ("content-type", "application/json"),
        ("x-request-id", "*"),
    ]
    assert response.headers["content-length"] == str(len(response.content))
    assert response.json()["content"][0]["text"] == "Hello from the fake upstream."


def test_the_head_of_an_error_answer(fresh: Served) -> None:
    response = fresh.post(_body(False, max_tokens="many"))
    assert response.status_code == 400
    assert _head(response) == [
        ("date", "*"),
        ("x-should-retry", "false"),
        ("content-length", "*"),
        ("content-type", "application/json"),
        ("x-request-id", "*"),
    ]
    assert response.headers["content-length"] == str(len(response.content))
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_the_head_of_a_405_names_the_allowed_method_last(fresh: Served) -> None:
    response = httpx.get(f"{fresh.gateway.base_url}/v1/messages", headers=ANTHROPIC_HEADERS)
    assert response.status_code == 405
    assert [name for name, _ in _head(response)] == [
        "date",
        "x-should-retry",
        "content-length",
        "content-type",
        "allow",
        "x-request-id",
    ]
    assert response.headers["allow"] == "POST"


def test_the_head_and_end_of_a_stream(fresh: Served) -> None:
    response = fresh.post(_body(True))
    assert response.status_code == 200
    assert _head(response) == [
        ("date", "*"),
        ("cache-control", "no-cache"),
        ("x-accel-buffering", "no"),
        ("x-coderouter-profile", "metered"),
        ("x-coderouter-provider", "metered"),
        ("content-type", "text/event-stream; charset=utf-8"),
        ("x-request-id", "*"),
        ("Transfer-Encoding", "chunked"),  # as h11 adds it,
    ]
    assert response.text.endswith('event: message_stop\ndata: {"type": "message_stop"}\n\n')


def test_a_client_that_leaves_mid_stream_stops_the_upstream_and_settles_the_hold(fresh: Served) -> None:
    # 200 events 0.1 s apart: the upstream would write for ~20 s if nobody stopped it.
    fresh.upstream.queue(Reply(text="word " * 200, chunk_chars=5, delay_s=0.1, usage=USAGE))
    with (
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST", f"{fresh.gateway.base_url}/v1/messages", json=_body(True), headers=ANTHROPIC_HEADERS
        ) as response,
    ):
        for line in response.iter_lines():
            if "text_delta" in line:
                break
        assert fresh.upstream.in_flight == 1
    # The gateway learns the client left and closes the upstream connection at once.
    fresh.gateway.wait_until(lambda: fresh.upstream.in_flight == 0, timeout=5, what="the upstream closed")
    fresh.gateway.wait_until(lambda: fresh.reserved_usd() == 0, timeout=10, what="the hold settled")
    [estimated] = wait_events(fresh.gateway, "spend-estimated", provider="metered")
    assert estimated["reason"] == "client-left"


def test_a_client_gone_before_the_first_frame_is_closed_out_once(fresh: Served) -> None:
    before = len(events(fresh.gateway, "spend-estimated", provider="metered"))
    # The client gives up while the upstream has not even answered its headers.
    fresh.upstream.queue(Reply(usage=USAGE, headers_delay_s=2.0, delay_s=0.3))
    with pytest.raises(httpx.ReadTimeout):
        fresh.post(_body(True), timeout=1.0)
    fresh.gateway.wait_until(lambda: fresh.upstream.in_flight == 0, timeout=5, what="the upstream closed")
    fresh.gateway.wait_until(lambda: fresh.reserved_usd() == 0, timeout=10, what="the hold settled")
    estimated = wait_events(fresh.gateway, "spend-estimated", before + 1, provider="metered")[before:]
    assert [e["reason"] for e in estimated] == ["client-left"]
