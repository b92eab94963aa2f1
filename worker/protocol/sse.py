"""Server-sent events: encoding frames and decoding a byte stream incrementally.

The decoder follows the WHATWG event-stream rules the SDKs use: lines end in ``\\r\\n``,
``\\n`` or ``\\r``; ``data:`` lines of one event join with ``\\n``; a line starting with ``:``
is a comment (``: ping``); a blank line ends the event; one space after the colon is
dropped. It is fed chunks as they arrive, so any of these may be split across chunks
(including a ``\\r\\n`` pair and a multi-byte UTF-8 character).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DONE_FRAME = b"data: [DONE]\n\n"
"""The OpenAI stream terminator. Anthropic streams never send it."""

PING_FRAME = b'event: ping\ndata: {"type":"ping"}\n\n'

# An SSE comment keeps an OpenAI client's connection alive; the SDK ignores it.
OPENAI_PING_FRAME = b": ping\n\n"
"""Anthropic keep-alive; clients skip it, and it keeps idle-timeouts from firing."""


def _data_lines(data: str) -> str:
    if "\n" not in data:  # every JSON payload we encode: one line, no split and join per event
        return f"data: {data}\n"
    return "".join(f"data: {line}\n" for line in data.split("\n"))


# Built once: ``json.dumps`` with any non-default option builds an encoder per call, which cost a
# quarter of encoding a per-token event (3.4 us -> 2.7 us for a text delta).
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_json(payload: Mapping[str, Any]) -> str:
    """Compact JSON as both APIs send it; non-ASCII kept as UTF-8."""
    return _COMPACT_JSON.encode(payload)


def encode_event(event: str, payload: Mapping[str, Any]) -> bytes:
    """A named event (Anthropic style): ``event: <name>`` then the JSON ``data:`` line."""
    return encode_event_text(event, encode_json(payload))


def encode_data(payload: Mapping[str, Any]) -> bytes:
    """An unnamed data-only event (OpenAI style)."""
    return encode_data_text(encode_json(payload))


def encode_event_text(event: str, data: str) -> bytes:
    """A named event whose data is already text (an upstream's, forwarded as it came)."""
    return f"event: {event}\n{_data_lines(data)}\n".encode()


def encode_data_text(data: str) -> bytes:
    """An unnamed event whose data is already text (an upstream's, forwarded as it came)."""
    return f"{_data_lines(data)}\n".encode()


class SSEEventTooLarge(ValueError):
    """One event (or one unfinished line) grew past the decoder's ``max_event_chars``."""


@dataclass(frozen=True)
class SSEEvent:
    """One decoded event. ``event`` is ``None`` when the frame had no ``event:`` line."""

    data: str
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental decoder: :meth:`feed` chunks, get the events they complete.

    Frames that carry no ``data:`` line (comment-only keep-alives) produce no event.
    With ``max_event_chars``, an event whose data (or a line not ended yet) grows past it raises
    :class:`SSEEventTooLarge` from :meth:`feed`, so a line that never ends cannot take all memory.
    Not thread-safe; one decoder per stream.
    """

    def __init__(self, max_event_chars: int | None = None) -> None:
        self._max_event_chars = max_event_chars
        self._data_chars = 0
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._pending_cr = False
        self._started = False
        self._data: list[str] = []
        self._event: str | None = None
        self._id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes | str) -> list[SSEEvent]:
        """Decode ``chunk`` and return the events completed by it, in order."""
        text = self._text.decode(chunk) if isinstance(chunk, bytes) else chunk
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._pending_cr and text:
            text = text.removeprefix("\n")
            self._pending_cr = False
        self._buffer += text
        events: list[SSEEvent] = []
        position = 0
        while (cut := _line_end(self._buffer, position)) is not None:
            end, width = cut
            if width == 1 and self._buffer[end] == "\r" and end + 1 == len(self._buffer):
                # A trailing "\r" may be the first half of a "\r\n" split across chunks.
                self._pending_cr = True
            event = self._take_line(self._buffer[position:end])
            if event is not None:
                events.append(event)
            position = end + width
        self._buffer = self._buffer[position:]
        self._check_size()
        return events

    def _check_size(self) -> None:
        limit = self._max_event_chars
        if limit is not None and self._data_chars + len(self._buffer) > limit:
            raise SSEEventTooLarge(f"an event of the stream is larger than {limit} characters")

    def close(self) -> list[SSEEvent]:
        """End of stream: an unterminated last event is delivered rather than lost."""
        tail = self._text.decode(b"", final=True)
        events = self.feed(tail) if tail else []
        if self._buffer:
            event = self._take_line(self._buffer)
            self._buffer = ""
            if event is not None:
                events.append(event)
        event = self._take_line("")
        if event is not None:
            events.append(event)
        return events

    def _take_line(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
            self._data_chars += len(value) + 1
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        data, event, retry = self._data, self._event, self._retry
        self._data, self._event, self._retry = [], None, None
        self._data_chars = 0
        if not data:
            return None
        return SSEEvent(data="\n".join(data), event=event or None, id=self._id, retry=retry)


def _line_end(buffer: str, start: int) -> tuple[int, int] | None:
    """Index and width of the first line terminator at or after ``start``; ``None`` if none yet."""
    newline = buffer.find("\n", start)
    carriage = buffer.find("\r", start)
    if carriage == -1 or (newline != -1 and newline < carriage):
        return None if newline == -1 else (newline, 1)
    if buffer.startswith("\n", carriage + 1):
        return carriage, 2
    return carriage, 1
