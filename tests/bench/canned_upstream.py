"""A loopback upstream that answers from canned bytes, fast enough never to be what a benchmark measures.

``python tests/bench/canned_upstream.py PORT [EVENTS]`` serves, on 127.0.0.1 and with HTTP/1.1
keep-alive, ``POST /v1/chat/completions`` (an OpenAI-compatible backend), ``POST /v1/messages``
(Anthropic) and ``POST /v1/responses`` (the OpenAI Responses API), each as one JSON body or, when
the request body asks for ``"stream": true``, as that protocol's SSE stream with usage and
``EVENTS`` content events (default 20). A stream goes out the way a model emits tokens: chunked, one
SSE event per chunk, each chunk its own ``write`` with the event loop let run between them, so the
reader sees events arrive one by one rather than as one buffer. ``GET /v1/models`` lists the model.
Every answer is built once at start: a request costs a header scan and one ``write`` per event.
Shapes follow ``tests/support/fake_upstream.py``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

MODEL = "bench-model"
TEXT = "Hello from the canned upstream. " * 4
USAGE_IN, USAGE_OUT = 120, 40


DEFAULT_EVENTS = 20


def _response(body: bytes, content_type: str) -> list[bytes]:
    head = (
        f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        "connection: keep-alive\r\n\r\n"
    )
    return [head.encode() + body]


def _stream(frames: list[str]) -> list[bytes]:
    """One write per SSE event: the head with the first chunk, then a chunk per event, then the end."""
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n"
        b"connection: keep-alive\r\n\r\n"
    )
    chunks = [b"%x\r\n%s\r\n" % (len(frame.encode()), frame.encode()) for frame in frames]
    return [head + chunks[0], *chunks[1:-1], chunks[-1] + b"0\r\n\r\n"]


def _openai_json() -> bytes:
    message = {"role": "assistant", "content": TEXT}
    usage = {"prompt_tokens": USAGE_IN, "completion_tokens": USAGE_OUT, "total_tokens": USAGE_IN + USAGE_OUT}
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage,
    }
    return json.dumps(body).encode()


def _openai_sse(pieces: list[str]) -> list[str]:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": MODEL}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in pieces]
    chunks.append(chunk({}, "stop"))
    usage = {"prompt_tokens": USAGE_IN, "completion_tokens": USAGE_OUT, "total_tokens": USAGE_IN + USAGE_OUT}
    chunks.append({**base, "choices": [], "usage": usage})
    return [f"data: {json.dumps(c)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]


def _anthropic_message(content: list[dict[str, Any]], stop: str | None, output_tokens: int) -> dict[str, Any]:
    return {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": USAGE_IN,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0,
        },
    }


def _anthropic_sse(pieces: list[str]) -> list[str]:
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": _anthropic_message([], None, 1)}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    for piece in pieces:
        delta = {"type": "text_delta", "text": piece}
        events.append(("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}))
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": USAGE_OUT},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]


def _responses_object(
    status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": "resp_bench",
        "object": "response",
        "created_at": 1700000000,
        "model": MODEL,
        "status": status,
        "output": output,
        "usage": usage,
        "error": None,
        "incomplete_details": None,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


RESPONSES_USAGE = {
    "input_tokens": USAGE_IN,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": USAGE_OUT,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": USAGE_IN + USAGE_OUT,
}
RESPONSES_MESSAGE = {
    "type": "message",
    "id": "msg_bench",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": TEXT, "annotations": []}],
}


def _responses_sse(pieces: list[str]) -> list[str]:
    started = _responses_object("in_progress", [], None)
    at = {"item_id": "msg_bench", "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "text": "", "annotations": []}
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**RESPONSES_MESSAGE, "content": []},
        },
        {"type": "response.content_part.added", **at, "part": part},
        *({"type": "response.output_text.delta", **at, "delta": piece} for piece in pieces),
        {"type": "response.output_text.done", **at, "text": "".join(pieces)},
        {"type": "response.content_part.done", **at, "part": {**part, "text": "".join(pieces)}},
        {"type": "response.output_item.done", "output_index": 0, "item": RESPONSES_MESSAGE},
        {
            "type": "response.completed",
            "response": _responses_object("completed", [RESPONSES_MESSAGE], RESPONSES_USAGE),
        },
    ]
    return [
        f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n})}\n\n"
        for n, e in enumerate(events)
    ]


def answers(events: int) -> dict[tuple[bytes, bool], list[bytes]]:
    """Every answer, as the writes that send it; a stream has ``events`` content deltas."""
    pieces = [f"tok{index} " for index in range(events)]
    return {
        (b"/v1/chat/completions", False): _response(_openai_json(), "application/json"),
        (b"/v1/chat/completions", True): _stream(_openai_sse(pieces)),
        (b"/v1/messages", False): _response(
            json.dumps(_anthropic_message([{"type": "text", "text": TEXT}], "end_turn", USAGE_OUT)).encode(),
            "application/json",
        ),
        (b"/v1/messages", True): _stream(_anthropic_sse(pieces)),
        (b"/v1/responses", False): _response(
            json.dumps(_responses_object("completed", [RESPONSES_MESSAGE], RESPONSES_USAGE)).encode(),
            "application/json",
        ),
        (b"/v1/responses", True): _stream(_responses_sse(pieces)),
    }


ANSWERS = answers(DEFAULT_EVENTS)
MODELS = _response(
    json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode(), "application/json"
)
NOT_FOUND = [b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"]


class CannedProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; pipelining works because one writer answers in arrival order."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.queue: asyncio.Queue[list[bytes]] = asyncio.Queue()
        self.writer: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.writer = asyncio.get_running_loop().create_task(self._write_answers(transport))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.writer is not None:
            self.writer.cancel()

    async def _write_answers(self, transport: asyncio.Transport) -> None:
        while True:
            writes = await self.queue.get()
            for index, data in enumerate(writes):
                if index:
                    await asyncio.sleep(0)  # the next event is a later token, not the same buffer
                if transport.is_closing():
                    return
                transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            method, path = head.split(b" ", 2)[:2]
            self.queue.put_nowait(self._answer(method, path.split(b"?")[0], body))

    @staticmethod
    def _answer(method: bytes, path: bytes, body: bytes) -> list[bytes]:
        if method == b"GET" and path == b"/v1/models":
            return MODELS
        stream = b'"stream": true' in body or b'"stream":true' in body
        return ANSWERS.get((path, stream), NOT_FOUND)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(CannedProtocol, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) > 2:
        ANSWERS = answers(int(sys.argv[2]))
    asyncio.run(serve(int(sys.argv[1])))
