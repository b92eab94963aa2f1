"""The front door's own shape: what the gateway's streams pay per event for its five jobs. What the
jobs answer is tested through HTTP (tests/integration/test_bad_input.py, test_request_summary.py,
test_event_log.py, protocol/test_errors_and_bad_input.py)."""

from __future__ import annotations

import asyncio
import sys

import pytest
from starlette.types import Message, Receive, Scope, Send

from coderouter_supervisor.worker.heartbeat import RequestCounter
from coderouter_supervisor.worker.ingress import FrontDoor
from coderouter_supervisor.worker.ingress.request_log import CLIENT_LEFT, RequestSummary

EVENTS = 3


async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-coderouter-profile", b"p")]})
    for _ in range(EVENTS):
        await send({"type": "http.response.body", "body": b"data: {}\n\n", "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def _frames_between_app_and_server(door: FrontDoor) -> tuple[list[int], list[Message]]:
    """For each message the app sends through ``door``: how many call frames lie between the app's
    ``send`` and the server's; and the messages the server got."""
    depths: list[int] = []
    sent: list[Message] = []

    async def server_send(message: Message) -> None:
        frame = sys._getframe(1)
        depth = 0
        while frame.f_code is not streaming_app.__code__:
            depth += 1
            assert frame.f_back is not None
            frame = frame.f_back
        depths.append(depth)
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/v1/messages", "headers": [(b"host", b"127.0.0.1")]}
    asyncio.run(door(scope, receive, server_send))
    return depths, sent


@pytest.mark.parametrize(
    "counter", [pytest.param(RequestCounter(), id="gateway"), pytest.param(None, id="admin-endpoint")]
)
def test_every_message_the_app_sends_passes_one_wrapper(counter: RequestCounter | None) -> None:
    door = FrontDoor(streaming_app, loopback_only=True, counter=counter)
    depths, sent = _frames_between_app_and_server(door)
    assert depths == [1] * (EVENTS + 2)
    assert len(sent) == EVENTS + 2


def test_the_gateway_door_counts_the_model_call_and_returns_its_id() -> None:
    counter = RequestCounter()
    _, sent = _frames_between_app_and_server(FrontDoor(streaming_app, loopback_only=True, counter=counter))
    assert counter.count == 1
    assert [name for name, _ in sent[0]["headers"]] == [b"x-coderouter-profile", b"x-request-id"]


def test_a_summary_reports_the_answers_status_and_profile() -> None:
    summary = RequestSummary("anthropic", started=0.0)
    assert (summary.status, summary.profile) == (CLIENT_LEFT, None)
    summary.answer_started(200, [(b"content-type", b"text/event-stream"), (b"x-coderouter-profile", b"fast")])
    assert (summary.status, summary.profile) == (200, "fast")
