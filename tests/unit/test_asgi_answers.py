"""The gateway's own ASGI answers (worker/ingress/asgi_answers.py) driven in-process: what reaches
``send``, and how a stream ends when its client leaves, when it finishes, and when its task is
cancelled for another reason. What a client sees over HTTP is tested in
tests/integration/test_answer_writing.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from starlette.responses import JSONResponse, StreamingResponse
from starlette.types import Message, Scope

from coderouter_supervisor.worker.ingress.asgi_answers import EventStreamAnswer, JsonAnswer, json_answer

SCOPE: Scope = {"type": "http", "method": "POST", "path": "/v1/messages", "headers": []}


class Client:
    """The server's side of one request: ``receive`` waits until :meth:`leave`, then says so."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self._left = asyncio.Event()

    def leave(self) -> None:
        self._left.set()

    async def receive(self) -> Message:
        await self._left.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


class Frames:
    """A frames generator that records how far it got and whether it was closed."""

    def __init__(self, count: int, pause: asyncio.Event | None = None) -> None:
        self.count = count
        self.pause = pause
        self.yielded = 0
        self.closed = False
        self.started = False

    async def frames(self) -> AsyncIterator[bytes]:
        self.started = True
        try:
            for index in range(self.count):
                if self.pause is not None and index == 1:
                    await self.pause.wait()
                self.yielded += 1
                yield f"data: {index}\n\n".encode()
        finally:
            self.closed = True


class CloseOut:
    def __init__(self) -> None:
        self.runs = 0

    async def __call__(self) -> None:
        await asyncio.sleep(0)  # a real close-out awaits the state thread
        self.runs += 1


async def _starlette_messages(response: JSONResponse | StreamingResponse) -> list[Message]:
    client = Client()
    await response(SCOPE, client.receive, client.send)
    return client.sent


@pytest.mark.parametrize(
    ("content", "status", "headers"),
    [
        pytest.param({"input_tokens": 12}, 200, None, id="no-headers"),
        pytest.param(
            {"text": "héllo ✓", "n": [1, 2.5, None]}, 200, {"X-CodeRouter-Profile": "p"}, id="unicode"
        ),
        pytest.param({"error": {}}, 429, {"retry-after": "3", "x-should-retry": "true"}, id="error"),
    ],
)
def test_a_json_answer_sends_what_starlettes_json_response_sends(
    content: object, status: int, headers: dict[str, str] | None
) -> None:
    ours = Client()
    asyncio.run(json_answer(content, status, headers)(SCOPE, ours.receive, ours.send))
    theirs = asyncio.run(_starlette_messages(JSONResponse(content, status_code=status, headers=headers)))
    assert ours.sent == theirs


def test_a_header_appended_to_a_json_answer_is_sent_last() -> None:
    answer = JsonAnswer(b"{}", 405)
    answer.headers.append((b"allow", b"POST"))
    client = Client()
    asyncio.run(answer(SCOPE, client.receive, client.send))
    assert [name for name, _ in client.sent[0]["headers"]] == [b"content-length", b"content-type", b"allow"]


def test_a_finished_stream_sends_what_starlettes_streaming_response_sends() -> None:
    headers = {"cache-control": "no-cache", "x-coderouter-profile": "p"}

    async def run() -> tuple[list[Message], list[Message], CloseOut]:
        close = CloseOut()
        ours = Client()
        answer = EventStreamAnswer(Frames(3).frames(), headers, on_close=close)
        await answer(SCOPE, ours.receive, ours.send)
        theirs = StreamingResponse(Frames(3).frames(), media_type="text/event-stream", headers=headers)
        return ours.sent, await _starlette_messages(theirs), close

    ours, theirs, close = asyncio.run(run())
    assert ours == theirs
    assert close.runs == 1


def test_a_client_that_leaves_mid_stream_ends_it_closes_the_frames_and_closes_out_once() -> None:
    pause = asyncio.Event()
    frames = Frames(5, pause)
    close = CloseOut()

    async def run() -> int:
        client = Client()
        answer = asyncio.ensure_future(
            EventStreamAnswer(frames.frames(), {}, on_close=close)(SCOPE, client.receive, client.send)
        )
        while frames.yielded < 1:
            await asyncio.sleep(0)
        client.leave()
        await answer  # returns: a client leaving is not an error
        task = asyncio.current_task()
        assert task is not None
        return task.cancelling() + answer.cancelling()

    assert asyncio.run(run()) == 0
    assert (frames.yielded, frames.closed, close.runs) == (1, True, 1)


def test_a_client_gone_before_the_answer_began_is_closed_out_once() -> None:
    close = CloseOut()
    frames = Frames(3, asyncio.Event())

    async def run() -> list[Message]:
        client = Client()
        client.leave()
        await EventStreamAnswer(frames.frames(), {}, on_close=close)(SCOPE, client.receive, client.send)
        return client.sent

    sent = asyncio.run(run())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[-1].get("more_body") is True  # one frame written, the end never sent
    assert (frames.closed, close.runs) == (True, 1)


def test_a_cancellation_that_is_not_the_client_leaving_is_raised_on() -> None:
    pause = asyncio.Event()
    frames = Frames(5, pause)
    close = CloseOut()

    async def run() -> asyncio.Future[None]:
        client = Client()
        answer = asyncio.ensure_future(
            EventStreamAnswer(frames.frames(), {}, on_close=close)(SCOPE, client.receive, client.send)
        )
        while frames.yielded < 1:
            await asyncio.sleep(0)
        answer.cancel()  # the server shutting down, say
        with pytest.raises(asyncio.CancelledError):
            await answer
        client.leave()  # too late to matter
        await asyncio.sleep(0)
        return answer

    answer = asyncio.run(run())
    assert answer.cancelled()
    assert (frames.closed, close.runs) == (True, 1)


def test_a_failing_frames_generator_raises_after_closing_out() -> None:
    close = CloseOut()

    async def broken() -> AsyncIterator[bytes]:
        yield b"data: 1\n\n"
        raise RuntimeError("bug")

    async def run() -> None:
        client = Client()
        await EventStreamAnswer(broken(), {}, on_close=close)(SCOPE, client.receive, client.send)

    with pytest.raises(RuntimeError, match="bug"):
        asyncio.run(run())
    assert close.runs == 1
