"""A scriptable loopback upstream speaking OpenAI chat completions, Anthropic messages and OpenAI Responses.

One server answers ``POST /v1/chat/completions`` (as an OpenAI-compatible backend such as Ollama or
vLLM), ``POST /v1/messages`` (+ ``/count_tokens``) as Anthropic does, ``POST /v1/responses`` as
OpenAI's Responses API does (:mod:`support.fake_responses`), plus ``GET /v1/models`` (both
protocols list models there) and Ollama's ``POST /api/show``. A test queues what the next
calls answer — a :class:`Reply` (text, reasoning, tool calls, usage, stream shaping) or a
:class:`Failure` — and the same script renders in whichever protocol and mode the gateway asked for.
Every request is recorded with its headers and JSON body so tests can assert what went upstream.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from support.fake_responses import responses_events, responses_failed, responses_object


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 12
    output_tokens: int = 7
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    report_cache: bool = True  # False: usage without any prompt-cache fields (many local backends)


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    id: str = ""


@dataclass(frozen=True)
class Reply:
    """A successful answer; the stream fields shape how it is streamed when the caller asked to."""

    text: str = "Hello from the fake upstream."
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Usage()
    stop: str | None = None  # None: "tool_calls"/"tool_use" when there are tool calls, else end of turn
    # OpenAI-compatible servers name the reasoning field differently (LM Studio vs Ollama/OpenRouter).
    reasoning_field: str = "reasoning_content"
    chunk_chars: int = 5
    headers_delay_s: float = 0.0  # before the response headers (a backend still loading the model)
    silence_s: float = 0.0  # after the response headers, before the first event
    delay_s: float = 0.0  # between events
    drop_after: int | None = None  # cut the connection after this many events, without a terminator
    error_after: int | None = None  # send the protocol's in-stream error event after this many events
    error_message: str = "Overloaded"
    stream_as_json: bool = False  # answer a streaming request with one JSON body (a backend ignoring stream)
    choices: int = 1  # OpenAI ``n``: the text is answered this many times (``usage`` covers them all)
    omit_usage: bool = False  # report no usage at all (a server that never does)
    tail_delay_s: float = 0.0  # in a stream, between the last content and the events that end it
    linger_s: float = 0.0  # in a stream, after its last event, before the body ends (a server slow to close)
    cut_whole_answer: bool = False  # a whole answer: its length declared, half of it sent, the connection cut


@dataclass(frozen=True)
class Failure:
    """An HTTP error answer, in the upstream protocol's own error envelope unless ``raw_body`` is given."""

    status: int
    message: str = "upstream failure"
    error_type: str = "api_error"
    headers: dict[str, str] = field(default_factory=dict)
    raw_body: str | None = None
    delay_s: float = 0.0  # before answering


@dataclass(frozen=True)
class Hang:
    """Send nothing at all (not even headers) for ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Gate:
    """Send nothing until the test calls :meth:`FakeUpstream.open_gate`, then answer ``reply``."""

    reply: Reply = Reply()


@dataclass(frozen=True)
class Metered:
    """An answer sized and billed like a real model's, decided from the request it answers.

    The model would write ``output_tokens`` per choice; it writes no more than the ``max_tokens``
    (or ``max_completion_tokens``) it receives, and ``n`` choices when asked. Input is counted
    with :func:`pessimistic_input_tokens`. Each answer is added to :attr:`FakeUpstream.bills`
    when it starts: an upstream generates until it notices a client gone, which this one never
    does before it has written everything, so a client that leaves early is billed in full.
    """

    output_tokens: int = 8_000
    omit_usage: bool = False
    tail_delay_s: float = 0.0
    tokens_per_chunk: int = 100
    headers_delay_s: float = 0.0  # before the response headers (it is thinking: the bill runs already)


@dataclass(frozen=True)
class Bill:
    model: str
    input_tokens: int
    output_tokens: int


Script = Reply | Failure | Hang | Gate | Metered

_MESSAGE_TOKENS = 4  # role markers per message


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    return []


def pessimistic_input_tokens(body: dict[str, Any]) -> int:
    """Input tokens as a tokenizer worse than any real one counts them: 1.5 per character outside
    ASCII (CJK, emoji), four ASCII characters a token, 4 per message, over every string the model
    reads (system, messages, tools)."""
    texts = _strings([body.get("system"), body.get("messages"), body.get("tools")])
    wide = sum(1 for text in texts for ch in text if ord(ch) > 127)
    narrow = sum(len(text) for text in texts) - wide
    messages = body.get("messages")
    count = len(messages) if isinstance(messages, list) else 0
    return int(-(-(narrow + 6 * wide) // 4)) + _MESSAGE_TOKENS * count


def _metered_reply(body: dict[str, Any], metered: Metered) -> tuple[Reply, Bill]:
    asked = [body.get(k) for k in ("max_tokens", "max_completion_tokens")]
    limits = [value for value in asked if isinstance(value, int)]
    per_choice = min([metered.output_tokens, *limits])
    choices = int(body.get("n") or 1)
    usage = Usage(input_tokens=pessimistic_input_tokens(body), output_tokens=per_choice * choices)
    reply = Reply(
        text="word" * per_choice,  # four ASCII characters a token
        usage=usage,
        stop="max_tokens" if per_choice < metered.output_tokens else None,
        chunk_chars=4 * metered.tokens_per_chunk,
        choices=choices,
        omit_usage=metered.omit_usage,
        tail_delay_s=metered.tail_delay_s,
        headers_delay_s=metered.headers_delay_s,
    )
    return reply, Bill(str(body.get("model")), usage.input_tokens, usage.output_tokens)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    client_port: int | None = None  # the gateway's end of the connection: a new port, a new connection

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


_ids = itertools.count(1)


def _tool_id(call: ToolCall, prefix: str) -> str:
    return call.id or f"{prefix}{next(_ids):06d}"


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] if text else []


def _openai_usage(usage: Usage) -> dict[str, Any]:
    prompt = usage.input_tokens + usage.cache_read_tokens + usage.cache_creation_tokens
    answer: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
    }
    if usage.report_cache:
        answer["prompt_tokens_details"] = {"cached_tokens": usage.cache_read_tokens}
    return answer


def _anthropic_usage(usage: Usage) -> dict[str, Any]:
    answer: dict[str, Any] = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens}
    if usage.report_cache:
        answer["cache_read_input_tokens"] = usage.cache_read_tokens
        answer["cache_creation_input_tokens"] = usage.cache_creation_tokens
    return answer


def _openai_finish(reply: Reply) -> str:
    if reply.stop is not None:
        return {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}.get(
            reply.stop, reply.stop
        )
    return "tool_calls" if reply.tool_calls else "stop"


def _anthropic_stop(reply: Reply) -> str:
    if reply.stop is not None:
        return {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}.get(
            reply.stop, reply.stop
        )
    return "tool_use" if reply.tool_calls else "end_turn"


def openai_completion(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.reasoning is not None:
        message[reply.reasoning_field] = reply.reasoning
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _tool_id(call, "call_"),
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for call in reply.tool_calls
        ]
    answer: dict[str, Any] = {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": index, "message": message, "finish_reason": _openai_finish(reply)}
            for index in range(reply.choices)
        ],
    }
    if not reply.omit_usage:
        answer["usage"] = _openai_usage(reply.usage)
    return answer


def openai_chunks(reply: Reply, model: str, include_usage: bool) -> list[dict[str, Any]]:
    base = {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, choice: int = 0) -> dict[str, Any]:
        return {**base, "choices": [{"index": choice, "delta": delta, "finish_reason": finish}]}

    chunks = []
    for choice in range(reply.choices):
        chunks.append(chunk({"role": "assistant", "content": ""}, choice=choice))
        for piece in _pieces(reply.reasoning or "", reply.chunk_chars):
            chunks.append(chunk({reply.reasoning_field: piece}, choice=choice))
        for piece in _pieces(reply.text, reply.chunk_chars):
            chunks.append(chunk({"content": piece}, choice=choice))
        for index, call in enumerate(reply.tool_calls):
            head = {"index": index, "id": _tool_id(call, "call_"), "type": "function"}
            function = {"name": call.name, "arguments": ""}
            chunks.append(chunk({"tool_calls": [{**head, "function": function}]}, choice=choice))
            for piece in _pieces(json.dumps(call.arguments), reply.chunk_chars):
                chunks.append(
                    chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}, choice=choice)
                )
    chunks.extend(chunk({}, _openai_finish(reply), choice) for choice in range(reply.choices))
    if include_usage and not reply.omit_usage:
        chunks.append({**base, "choices": [], "usage": _openai_usage(reply.usage)})
    return chunks


def anthropic_message(reply: Reply, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if reply.reasoning is not None:
        content.append({"type": "thinking", "thinking": reply.reasoning, "signature": "sig-fake"})
    if reply.text:
        content.append({"type": "text", "text": reply.text})
    for call in reply.tool_calls:
        content.append(
            {"type": "tool_use", "id": _tool_id(call, "toolu_"), "name": call.name, "input": call.arguments}
        )
    message: dict[str, Any] = {
        "id": f"msg_fake{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _anthropic_stop(reply),
        "stop_sequence": None,
    }
    if not reply.omit_usage:
        message["usage"] = _anthropic_usage(reply.usage)
    return message


def anthropic_events(reply: Reply, model: str) -> list[tuple[str, dict[str, Any]]]:
    message = {**anthropic_message(reply, model), "content": [], "stop_reason": None}
    if not reply.omit_usage:
        message["usage"] = {**_anthropic_usage(reply.usage), "output_tokens": 1}
    events: list[tuple[str, dict[str, Any]]] = [
        ("message_start", {"type": "message_start", "message": message})
    ]
    index = 0

    def block(start: dict[str, Any], deltas: list[dict[str, Any]]) -> None:
        nonlocal index
        events.append(
            ("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
        )
        for delta in deltas:
            events.append(
                ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1

    if reply.reasoning is not None:
        deltas = [
            {"type": "thinking_delta", "thinking": p} for p in _pieces(reply.reasoning, reply.chunk_chars)
        ]
        block(
            {"type": "thinking", "thinking": "", "signature": ""},
            [*deltas, {"type": "signature_delta", "signature": "sig-fake"}],
        )
    if reply.text:
        block(
            {"type": "text", "text": ""},
            [{"type": "text_delta", "text": p} for p in _pieces(reply.text, reply.chunk_chars)],
        )
    for call in reply.tool_calls:
        start = {"type": "tool_use", "id": _tool_id(call, "toolu_"), "name": call.name, "input": {}}
        pieces = _pieces(json.dumps(call.arguments), reply.chunk_chars)
        block(start, [{"type": "input_json_delta", "partial_json": p} for p in pieces])
    delta: dict[str, Any] = {
        "type": "message_delta",
        "delta": {"stop_reason": _anthropic_stop(reply), "stop_sequence": None},
    }
    if not reply.omit_usage:
        delta["usage"] = {"output_tokens": reply.usage.output_tokens}
    events.append(("message_delta", delta))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


class _CountInFlight:
    """ASGI middleware keeping :attr:`FakeUpstream.in_flight` (whole exchanges, streamed bodies too)."""

    def __init__(self, app: Starlette, upstream: FakeUpstream) -> None:
        self.app = app
        self.upstream = upstream

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.upstream.entered(1)
        try:
            await self.app(scope, receive, send)
        finally:
            self.upstream.entered(-1)


class _Dropped(Exception):
    """Raised inside a streaming body so the server cuts the connection mid-response."""


class _CutShort(Response):
    """A whole answer that declares its full length, sends half of it and drops the connection."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send(
            {"type": "http.response.body", "body": bytes(self.body[: len(self.body) // 2]), "more_body": True}
        )
        raise _Dropped


class FakeUpstream:
    """A loopback server in a background thread; use as a context manager or call start()/stop()."""

    def __init__(self, model_name: str = "fake-model") -> None:
        self.model_name = model_name
        self.requests: list[RecordedRequest] = []
        self.default: Script = Reply()
        self.count_tokens_answer = 42
        # When set, decides every chat/messages answer from the request (queue and default are ignored).
        self.responder: Callable[[RecordedRequest], Script] | None = None
        # GET /v1/models: these entries (None: just ``model_name``), or this failure.
        self.listed_models: list[dict[str, Any]] | None = None
        self.models_failure: Failure | None = None
        # POST /api/show (Ollama): 404 unless a context length is set.
        self.ollama_context_length: int | None = None
        # Chat/messages/responses answers gzip-encoded, whole or streamed (a stream flushed per event).
        self.gzip_answers = False
        self._script: deque[Script] = deque()
        self.bills: list[Bill] = []  # what each Metered answer cost, as the upstream bills it
        self._lock = threading.Lock()
        self._gate = threading.Event()
        self.in_flight = 0  # requests being answered now (a stream until its last byte)
        self.max_in_flight = 0  # the most at once since the last reset()
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        app = Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/responses", self._responses, methods=["POST"]),
                Route("/v1/messages/count_tokens", self._count_tokens, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/api/show", self._show, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            _CountInFlight(app, self),
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeUpstream:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake upstream did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def queue(self, *scripts: Script) -> None:
        """The next calls answer these, in order; after them, ``default``."""
        with self._lock:
            self._script.extend(scripts)

    def reset(self, default: Script | None = None) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.bills.clear()
            self.default = default if default is not None else Reply()
            self.gzip_answers = False
            self.max_in_flight = self.in_flight
            self._gate.clear()

    def open_gate(self) -> None:
        """Let every request held by a :class:`Gate` (and any later one) answer."""
        self._gate.set()

    def entered(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def calls(self, path_suffix: str = "") -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    @property
    def last(self) -> RecordedRequest:
        with self._lock:
            return self.requests[-1]

    async def _record_only(self, request: Request) -> RecordedRequest:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = {"_unparsable": raw.decode(errors="replace")}
        port = request.client.port if request.client else None
        recorded = RecordedRequest(request.url.path, dict(request.headers), body, port)
        with self._lock:
            self.requests.append(recorded)
        return recorded

    async def _record(self, request: Request) -> tuple[RecordedRequest, Reply | Failure | Hang]:
        recorded = await self._record_only(request)
        with self._lock:
            if self.responder is not None:
                script = self.responder(recorded)
            else:
                script = self._script.popleft() if self._script else self.default
        if isinstance(script, Metered):
            script, bill = _metered_reply(recorded.body, script)
            with self._lock:
                self.bills.append(bill)
        if isinstance(script, Gate):
            while not self._gate.is_set():
                await asyncio.sleep(0.01)
            script = script.reply
        if isinstance(script, Hang):
            await asyncio.sleep(script.seconds)
        if isinstance(script, Reply) and script.headers_delay_s:
            await asyncio.sleep(script.headers_delay_s)
        if isinstance(script, Failure) and script.delay_s:
            await asyncio.sleep(script.delay_s)
        return recorded, script

    async def _models(self, request: Request) -> Response:
        await self._record_only(request)
        if self.models_failure is not None:
            return _openai_failure(self.models_failure)
        entries = self.listed_models if self.listed_models is not None else [{"id": self.model_name}]
        return JSONResponse({"object": "list", "data": [{"object": "model", **e} for e in entries]})

    async def _show(self, request: Request) -> Response:
        await self._record_only(request)
        if self.ollama_context_length is None:
            return Response("404 page not found", status_code=404, media_type="text/plain")
        return JSONResponse(
            {
                "model_info": {
                    "general.architecture": "fake",
                    "fake.context_length": self.ollama_context_length,
                }
            }
        )

    async def _count_tokens(self, request: Request) -> Response:
        await self._record(request)
        return JSONResponse({"input_tokens": self.count_tokens_answer})

    async def _chat(self, request: Request) -> Response:
        recorded, script = await self._record(request)
        if isinstance(script, Failure | Hang):
            return _openai_failure(script)
        model = str(recorded.body.get("model", self.model_name))
        if not recorded.stream or script.stream_as_json:
            return self._whole(script, openai_completion(script, model))
        include_usage = bool((recorded.body.get("stream_options") or {}).get("include_usage"))
        frames = [f"data: {json.dumps(c)}\n\n".encode() for c in openai_chunks(script, model, include_usage)]
        frames.append(b"data: [DONE]\n\n")
        error = {"error": {"message": script.error_message, "type": "server_error", "code": None}}
        # One finish chunk per choice, the usage chunk, [DONE].
        tail = script.choices + (include_usage and not script.omit_usage) + 1
        return self._encoded(_stream(frames, script, f"data: {json.dumps(error)}\n\n".encode(), tail=tail))

    async def _messages(self, request: Request) -> Response:
        recorded, script = await self._record(request)
        if isinstance(script, Failure | Hang):
            return _anthropic_failure(script)
        model = str(recorded.body.get("model", self.model_name))
        if not recorded.stream or script.stream_as_json:
            return self._whole(script, anthropic_message(script, model))
        frames = [
            f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
            for name, data in anthropic_events(script, model)
        ]
        error = {"type": "error", "error": {"type": "overloaded_error", "message": script.error_message}}
        # The text block's stop, message_delta and message_stop end the stream.
        return self._encoded(
            _stream(frames, script, f"event: error\ndata: {json.dumps(error)}\n\n".encode(), tail=3)
        )

    async def _responses(self, request: Request) -> Response:
        recorded, script = await self._record(request)
        if isinstance(script, Failure | Hang):
            return _openai_failure(script)
        model = str(recorded.body.get("model", self.model_name))
        if not recorded.stream or script.stream_as_json:
            return self._whole(script, responses_object(script, model))
        frames = [
            f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in responses_events(script, model)
        ]
        failed = responses_failed(script.error_message, model)
        # The last item's done and response.completed end the stream.
        return self._encoded(
            _stream(
                frames, script, f"event: response.failed\ndata: {json.dumps(failed)}\n\n".encode(), tail=2
            )
        )

    def _whole(self, reply: Reply, answer: dict[str, Any]) -> Response:
        if reply.cut_whole_answer:
            return _CutShort(json.dumps(answer).encode(), media_type="application/json")
        return self._encoded(JSONResponse(answer))

    def _encoded(self, response: Response) -> Response:
        """``response`` gzip-encoded when :attr:`gzip_answers` is set."""
        if not self.gzip_answers:
            return response
        response.headers["content-encoding"] = "gzip"
        if isinstance(response, StreamingResponse):
            response.body_iterator = _gzipped_frames(response.body_iterator)
        else:
            response.body = gzip.compress(response.body)
            response.headers["content-length"] = str(len(response.body))
        return response


async def _gzipped_frames(frames: AsyncIterable[str | bytes | memoryview]) -> AsyncIterator[bytes]:
    """One gzip stream, flushed after every frame so each event arrives as it is written."""
    compressor = zlib.compressobj(wbits=zlib.MAX_WBITS | 16)
    async for frame in frames:
        data = frame.encode() if isinstance(frame, str) else bytes(frame)
        yield compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    yield compressor.flush()


def _openai_failure(script: Failure | Hang) -> Response:
    if isinstance(script, Hang):
        return JSONResponse(openai_completion(Reply(), "fake-model"))
    body = script.raw_body or json.dumps(
        {"error": {"message": script.message, "type": script.error_type, "param": None, "code": None}}
    )
    return Response(body, status_code=script.status, headers=script.headers, media_type="application/json")


def _anthropic_failure(script: Failure | Hang) -> Response:
    if isinstance(script, Hang):
        return JSONResponse(anthropic_message(Reply(), "fake-model"))
    body = script.raw_body or json.dumps(
        {"type": "error", "error": {"type": script.error_type, "message": script.message}}
    )
    return Response(body, status_code=script.status, headers=script.headers, media_type="application/json")


def _stream(frames: list[bytes], reply: Reply, error_frame: bytes, *, tail: int) -> StreamingResponse:
    """``tail``: how many frames end the stream after its content (``tail_delay_s`` comes before them)."""

    async def body() -> AsyncIterator[bytes]:
        if reply.silence_s:
            await asyncio.sleep(reply.silence_s)
        for sent, frame in enumerate(frames):
            if reply.tail_delay_s and sent == len(frames) - tail:
                await asyncio.sleep(reply.tail_delay_s)
            if reply.drop_after is not None and sent >= reply.drop_after:
                raise _Dropped
            if reply.error_after is not None and sent >= reply.error_after:
                yield error_frame
                return
            if reply.delay_s and sent:
                await asyncio.sleep(reply.delay_s)
            yield frame
        if reply.linger_s:
            await asyncio.sleep(reply.linger_s)

    return StreamingResponse(body(), media_type="text/event-stream", headers={"cache-control": "no-cache"})
