"""An upstream request's body as JSON bytes: a long conversation encoded off the event loop, a
message and a long string's slice at a time, and sent in the chunks it was encoded in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from coderouter_supervisor.worker.offload import INLINE_UP_TO, run_step


async def encoded_body(body: Mapping[str, Any]) -> bytes | list[bytes]:
    """``body`` as JSON. A long conversation is encoded on a thread a message at a time, into pieces
    that are sent as they are: one ``json.dumps`` of 60,000 messages holds the GIL for 100 ms or
    more, and joining 30 MiB of pieces into one body ~100 ms more; many small calls let the event
    loop in between."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return json.dumps(body).encode()
    return await run_step(len(messages), _encode, body, messages)


def _encode(body: Mapping[str, Any], messages: list[Any]) -> bytes | list[bytes]:
    if len(messages) <= INLINE_UP_TO:
        return json.dumps(body).encode()
    return encode_by_message(body, messages)


def encode_by_message(body: Mapping[str, Any], messages: list[Any]) -> list[bytes]:
    rest = json.dumps({key: value for key, value in body.items() if key != "messages"})
    separator = ", " if rest != "{}" else ""
    chunks = _Chunks()
    chunks.add(f'{rest[:-1]}{separator}"messages": [')
    for index, message in enumerate(messages):
        if index:
            chunks.add(", ")
        for piece in _pieces(message):
            chunks.add(piece)
    chunks.add("]}")
    return chunks.done()


class _Chunks:
    """Text pieces gathered into chunks of about :data:`SEND_SLICE` bytes (JSON as ``json.dumps``
    writes it is ASCII: a character is a byte)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._pending: list[str] = []
        self._pending_length = 0

    def add(self, piece: str) -> None:
        self._pending.append(piece)
        self._pending_length += len(piece)
        if self._pending_length >= SEND_SLICE:
            self._flush()

    def done(self) -> list[bytes]:
        self._flush()
        return self._chunks

    def _flush(self) -> None:
        if self._pending:
            self._chunks.append("".join(self._pending).encode())
            self._pending.clear()
            self._pending_length = 0


# A string this long (a screenshot in base64) is encoded a slice at a time: escaping 30 MiB in one
# call holds the GIL for 60 ms or more.
_STRING_SLICE = 1024 * 1024


def _pieces(value: Any) -> Iterator[str]:
    """``json.dumps(value)`` in pieces, no piece costing more than one slice of a long string."""
    if isinstance(value, str) and len(value) > _STRING_SLICE:
        yield '"'
        for start in range(0, len(value), _STRING_SLICE):
            yield json.dumps(value[start : start + _STRING_SLICE])[1:-1]
        yield '"'
    elif isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield f"{', ' if index else ''}{json.dumps(str(key))}: "
            yield from _pieces(item)
        yield "}"
    elif isinstance(value, list):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ", "
            yield from _pieces(item)
        yield "]"
    else:
        yield json.dumps(value)


# A large body is handed to the socket a slice at a time: one write of 30 MiB copies what the kernel
# does not take at once into the transport's buffer, twice, holding the event loop meanwhile.
SEND_SLICE = 256 * 1024


class BodyInPieces:
    """A body sent chunk by chunk; iterable again should the request be sent again."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


def sendable(content: bytes | list[bytes]) -> tuple[bytes | BodyInPieces, int]:
    """What to hand the upstream client for ``content``, and its length in bytes (declared, so the
    pieces go as one body rather than chunked)."""
    if isinstance(content, bytes) and len(content) > SEND_SLICE:
        content = [content[start : start + SEND_SLICE] for start in range(0, len(content), SEND_SLICE)]
    if isinstance(content, bytes):
        return content, len(content)
    return BodyInPieces(content), sum(len(chunk) for chunk in content)
