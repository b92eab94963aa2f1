"""A loopback upstream that answers from canned bytes, fast enough never to be what a benchmark measures.

``python tests/bench/canned_upstream.py PORT`` serves, on 127.0.0.1 and with HTTP/1.1 keep-alive,
``POST /v1/chat/completions`` (an OpenAI-compatible backend), ``POST /v1/messages`` (Anthropic) and
``POST /v1/responses`` (the OpenAI Responses API),
each as one JSON body or, when the request body asks for ``"stream": true``, as that protocol's SSE
stream with usage; ``GET /v1/models`` lists the model. Every answer is built once at import: a
request costs a header scan and one ``write``. Shapes follow ``tests/support/fake_upstream.py``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

MODEL = "bench-model"
TEXT = "Hello from the canned upstream. " * 4
USAGE_IN, USAGE_OUT = 120, 40


def _response(body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        "connection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


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


def _openai_sse(pieces: list[str]) -> bytes:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1700000000, "model": MODEL}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in pieces]
    chunks.append(chunk({}, "stop"))
    usage = {"prompt_tokens": USAGE_IN, "completion_tokens": USAGE_OUT, "total_tokens": USAGE_IN + USAGE_OUT}
    chunks.append({**base, "choices": [], "usage": usage})
    frames = [f"data: {json.dumps(c)}\n\n" for c in chunks]
    return ("".join(frames) + "data: [DONE]\n\n").encode()


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


def _anthropic_sse(pieces: list[str]) -> bytes:
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
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


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


def _responses_sse(pieces: list[str]) -> bytes:
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
        {"type": "response.output_text.done", **at, "text": TEXT},
        {"type": "response.content_part.done", **at, "part": {**part, "text": TEXT}},
        {"type": "response.output_item.done", "output_index": 0, "item": RESPONSES_MESSAGE},
        {
            "type": "response.completed",
            "response": _responses_object("completed", [RESPONSES_MESSAGE], RESPONSES_USAGE),
        },
    ]
    frames = [
        f"event: {e['type']}\ndata: {json.dumps({**e, 'sequence_number': n})}\n\n"
        for n, e in enumerate(events)
    ]
    return "".join(frames).encode()


# A streamed answer in 16 deltas: enough events that per-event work shows, like a short model reply.
PIECES = [TEXT[i : i + 8] for i in range(0, len(TEXT), 8)]
ANSWERS = {
    (b"/v1/chat/completions", False): _response(_openai_json(), "application/json"),
    (b"/v1/chat/completions", True): _response(_openai_sse(PIECES), "text/event-stream"),
    (b"/v1/messages", False): _response(
        json.dumps(_anthropic_message([{"type": "text", "text": TEXT}], "end_turn", USAGE_OUT)).encode(),
        "application/json",
    ),
    (b"/v1/messages", True): _response(_anthropic_sse(PIECES), "text/event-stream"),
    (b"/v1/responses", False): _response(
        json.dumps(_responses_object("completed", [RESPONSES_MESSAGE], RESPONSES_USAGE)).encode(),
        "application/json",
    ),
    (b"/v1/responses", True): _response(_responses_sse(PIECES), "text/event-stream"),
}
MODELS = _response(
    json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode(), "application/json"
)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


class CannedProtocol(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; pipelining works because requests are answered in arrival order."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

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
            assert self.transport is not None
            self.transport.write(self._answer(method, path.split(b"?")[0], body))

    @staticmethod
    def _answer(method: bytes, path: bytes, body: bytes) -> bytes:
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
    asyncio.run(serve(int(sys.argv[1])))
