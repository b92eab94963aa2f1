"""The dispatcher (worker/ingress/dispatch.py) as an ASGI app driven in-process: what escapes a handler
becomes which answer, what reaches the server's ``send``, and the lifespan protocol. The gateway's
own routes and answers are tested through HTTP (tests/integration/protocol/)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from coderouter_supervisor.worker.errors import NotFound, RequestTooLarge
from coderouter_supervisor.worker.ingress import Dispatcher
from coderouter_supervisor.worker.ingress.route_table import Route
from coderouter_supervisor.worker.telemetry.events import add_event_observer, remove_event_observer

GET, POST = frozenset({"GET"}), frozenset({"POST"})


class Bug(Exception):
    pass


async def ok(request: Request) -> Response:
    return JSONResponse({"model": request.path_params.get("model_id")})


async def refused(request: Request) -> Response:
    request.state.profile = "fast"
    raise RequestTooLarge("too big")


async def buggy(request: Request) -> Response:
    raise Bug("oops")


async def fails_mid_stream(request: Request) -> Response:
    async def frames() -> AsyncIterator[bytes]:
        yield b"data: {}\n\n"
        raise NotFound("gone")  # a GatewayError after the answer started is a bug all the same

    return StreamingResponse(frames(), media_type="text/event-stream")


class _SendsTo(Response):
    """Records the ``send`` the dispatcher hands the response."""

    seen: list[Send] = []  # noqa: RUF012

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append(send)
        await super().__call__(scope, receive, send)


async def records_send(request: Request) -> Response:
    return _SendsTo(b"")


ROUTES = [
    Route("/v1/messages", buggy, POST),
    Route("/v1/chat/completions", buggy, POST),
    Route("/refused", refused, POST),
    Route("/stream", fails_mid_stream, GET),
    Route("/send", records_send, GET),
    Route("/v1/models/{model_id:path}", ok, GET),
]


@asynccontextmanager
async def no_lifespan() -> AsyncIterator[Mapping[str, object]]:
    yield {}


@pytest.fixture
def logged() -> Iterator[list[tuple[str, Mapping[str, object]]]]:
    seen: list[tuple[str, Mapping[str, object]]] = []

    def observe(event: str, fields: Mapping[str, object]) -> None:
        seen.append((event, fields))

    add_event_observer(observe)
    yield seen
    remove_event_observer(observe)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _client() -> Receive:
    """A client that sent an empty body and then stays connected, as a server's ``receive`` waits."""
    bodies = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> Message:
        if bodies:
            return bodies.pop()
        await asyncio.Event().wait()
        raise AssertionError("never set")

    return receive


def serve(
    method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b""
) -> tuple[list[Message], BaseException | None]:
    """The messages the dispatcher sends for one request, and what it raised to the server."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": query,
        "scheme": "http",
        "headers": [(b"host", b"127.0.0.1:8088"), *(headers or [])],
        "state": {},
    }
    raised: BaseException | None = None
    try:
        asyncio.run(Dispatcher(ROUTES, no_lifespan)(scope, _client(), send))
    except Exception as exc:
        raised = exc
    return sent, raised


def _answer(sent: list[Message]) -> tuple[int, dict[str, str], Any]:
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, json.loads(body) if body else None


def test_a_gateway_error_is_answered_in_the_callers_envelope_with_the_chosen_profile() -> None:
    sent, raised = serve("POST", "/refused", [(b"anthropic-version", b"2023-06-01")])
    status, headers, body = _answer(sent)
    assert raised is None
    assert status == 413
    assert body["error"]["type"] == "request_too_large"
    assert headers["x-coderouter-profile"] == "fast"


@pytest.mark.parametrize(
    ("path", "envelope_key"),
    [
        pytest.param("/v1/messages", "type", id="anthropic"),
        pytest.param("/v1/chat/completions", "error", id="openai"),
    ],
)
def test_a_bug_is_logged_answered_500_in_the_envelope_and_raised_to_the_server(
    logged: list[tuple[str, Mapping[str, object]]], path: str, envelope_key: str
) -> None:
    sent, raised = serve("POST", path)
    status, _, body = _answer(sent)
    assert isinstance(raised, Bug)
    assert status == 500
    assert envelope_key in body
    assert body.get("type", "error") == "error"
    assert ("internal-error", {"path": path, "error": "Bug: oops"}) in logged


def test_an_error_after_the_answer_started_ends_it_without_a_second_answer(
    logged: list[tuple[str, Mapping[str, object]]],
) -> None:
    sent, raised = serve("GET", "/stream")
    assert isinstance(raised, NotFound)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200
    assert ("internal-error", {"path": "/stream", "error": "NotFound: gone"}) in logged


def test_the_response_sends_to_the_servers_send_itself() -> None:
    """No wrapper between a handler's response and the server: a stream's events pay no extra call."""
    sent: list[Message] = []

    async def server_send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "path": "/send", "headers": [], "state": {}}
    _SendsTo.seen.clear()
    asyncio.run(Dispatcher(ROUTES, no_lifespan)(scope, _client(), server_send))
    assert _SendsTo.seen == [server_send]
    assert sent[0]["status"] == 200


def test_a_path_parameter_reaches_the_handler() -> None:
    sent, _ = serve("GET", "/v1/models/org/model")
    assert _answer(sent) == (
        200,
        {"content-length": "21", "content-type": "application/json"},
        {"model": "org/model"},
    )


def test_wrong_method_is_405_with_allow() -> None:
    sent, raised = serve("PUT", "/v1/messages")
    status, headers, body = _answer(sent)
    assert raised is None
    assert (status, headers["allow"]) == (405, "POST")
    assert body == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "method PUT is not allowed on /v1/messages"},
    }


def test_unknown_path_is_404_in_the_callers_envelope() -> None:
    sent, _ = serve("GET", "/v1/embeddings")
    status, _, body = _answer(sent)
    assert status == 404
    assert body["error"]["type"] == "not_found_error"
    assert body["error"]["message"] == "no route for GET /v1/embeddings"


def test_a_trailing_slash_is_redirected_with_the_query() -> None:
    sent, _ = serve("POST", "/v1/messages/", query=b"beta=true")
    status, headers, _ = _answer(sent)
    assert (status, headers["location"]) == (307, "http://127.0.0.1:8088/v1/messages?beta=true")


def test_a_websocket_is_closed() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(Dispatcher(ROUTES, no_lifespan)({"type": "websocket", "path": "/"}, _no_body, send))
    assert [m["type"] for m in sent] == ["websocket.close"]


def _run_lifespan(dispatcher: Dispatcher, scope: Scope) -> tuple[list[Message], BaseException | None]:
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[Message] = []

    async def receive() -> Message:
        return next(incoming)

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        asyncio.run(dispatcher(scope, receive, send))
    except Exception as exc:
        return sent, exc
    return sent, None


def test_the_lifespan_state_reaches_the_servers_state_and_is_left_at_shutdown() -> None:
    steps: list[str] = []

    @asynccontextmanager
    async def lifespan() -> AsyncIterator[Mapping[str, object]]:
        steps.append("start")
        yield {"gateway_slot": "slot"}
        steps.append("stop")

    scope: Scope = {"type": "lifespan", "state": {"from_server": 1}}
    sent, raised = _run_lifespan(Dispatcher(ROUTES, lifespan), scope)
    assert raised is None
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert scope["state"] == {"from_server": 1, "gateway_slot": "slot"}
    assert steps == ["start", "stop"]


@pytest.mark.parametrize("fails_at", ["startup", "shutdown"])
def test_a_lifespan_failure_is_reported_to_the_server_and_raised(fails_at: str) -> None:
    @asynccontextmanager
    async def lifespan() -> AsyncIterator[Mapping[str, object]]:
        if fails_at == "startup":
            raise Bug("no state file")
        yield {}
        raise Bug("no state file")

    sent, raised = _run_lifespan(Dispatcher(ROUTES, lifespan), {"type": "lifespan", "state": {}})
    assert isinstance(raised, Bug)
    assert sent[-1]["type"] == f"lifespan.{fails_at}.failed"
    assert "Bug: no state file" in sent[-1]["message"]
