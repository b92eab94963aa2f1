"""Which upstream SSE frames become events: JSON objects do, ``[DONE]`` ends, the rest is skipped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from coderouter_supervisor.worker.providers.transport import UpstreamStream
from coderouter_supervisor.worker.providers.upstream_client import UpstreamAnswer


async def _body(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def _read(chunks: list[bytes]) -> tuple[list[tuple[str | None, dict[str, Any], str]], UpstreamStream]:
    async def run() -> tuple[list[tuple[str | None, dict[str, Any], str]], UpstreamStream]:
        stream = UpstreamStream(UpstreamAnswer(200, [], _body(chunks)), "p", 1 << 20)
        events = [(event.name, event.payload, event.data) async for event in stream.events()]
        return events, stream

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("data", "payload"),
    [
        pytest.param('{"a":1}', {"a": 1}, id="an-object"),
        pytest.param(' {"a": [1, "é"]} ', {"a": [1, "é"]}, id="whitespace-around-it"),
        pytest.param('{"a":\n1}', {"a": 1}, id="over-two-data-lines"),
        pytest.param('{"a":{"b":{}}}\n', {"a": {"b": {}}}, id="a-trailing-empty-data-line"),
    ],
)
def test_a_json_object_is_an_event_that_keeps_its_text(data: str, payload: dict[str, Any]) -> None:
    frame = "event: e\n" + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n"
    events, stream = _read([frame.encode()])
    assert events == [("e", payload, data)]
    assert stream.skipped_frames == 0


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("not json", id="text"),
        pytest.param('{"a":1', id="a-cut-object"),
        pytest.param('{"a":1} {"b":2}', id="two-objects"),
        pytest.param('{"a":1}x', id="trailing-text"),
        pytest.param("[1, 2]", id="an-array"),
        pytest.param('"{}"', id="a-string"),
        pytest.param("{}}", id="an-extra-brace"),
        pytest.param("\ufeff{}", id="a-bom"),
    ],
)
def test_anything_else_is_skipped_and_counted(data: str) -> None:
    events, stream = _read([f"data: {data}\n\ndata: {{}}\n\n".encode()])
    assert events == [(None, {}, "{}")]
    assert stream.skipped_frames == 1
    assert not stream.saw_done


@pytest.mark.parametrize("done", ["[DONE]", " [DONE] ", "[DONE]\n"])
def test_done_ends_the_stream_and_nothing_after_it_counts(done: str) -> None:
    frame = "".join(f"data: {line}\n" for line in done.split("\n")) + "\n"
    events, stream = _read([f'data: {{"n":1}}\n\n{frame}data: {{"n":2}}\n\n'.encode(), b'data: {"n":3}\n\n'])
    assert events == [(None, {"n": 1}, '{"n":1}')]
    assert stream.saw_done
    assert stream.skipped_frames == 0
