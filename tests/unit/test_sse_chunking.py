"""The SSE decoder gives the same events however the stream is cut into chunks.

Streams are compared three ways: fed in pieces, fed whole, and decoded by the plain reference
below (whole bytes, one regex split, one line at a time), so a fast path that only agrees with
itself still fails.
"""

from __future__ import annotations

import itertools
import random
import re

import pytest

from coderouter_supervisor.worker.protocol import SSEDecoder, SSEEvent

# Every rule the decoder's docstring promises, in one stream: CRLF, CR and LF ends, a BOM,
# comments, a field without a colon, no space after the colon, multi-line data, id and retry
# (kept and ignored), an event without data, a multi-byte character, an invalid byte, and an
# unterminated last event.
TRICKY = (
    b"\xef\xbb\xbfevent: message_start\r\n"
    b'data: {"type":"message_start"}\r\n'
    b"\r\n"
    b": ping\r"
    b"\r"
    b"data:no-space\n"
    b"data\n"
    b"data:  two spaces\r\n"
    b"\n"
    b"id: 7\r"
    b"retry: 1500\r"
    b"event:\r"
    b"data: caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\r\n"
    b"\r"
    b"id: a\x00b\n"
    b"retry: soon\n"
    b"retry: \xc2\xb2\n"
    b"event: nodata\n"
    b"\n"
    b"data: bad \xff byte\n"
    b"\n"
    b"event: error\n"
    b'data: {"x":1}'
)


def reference_events(stream: bytes) -> list[SSEEvent]:
    """The WHATWG event-stream rules applied as plainly as possible to a whole stream."""
    text = stream.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = re.split(r"\r\n|\r|\n", text)
    tail = lines.pop()
    if tail:
        lines.append(tail)
    lines.append("")  # the end of the stream ends an unterminated last event
    events: list[SSEEvent] = []
    data: list[str] = []
    name = ""
    last_id: str | None = None
    retry: int | None = None
    for line in lines:
        if line == "":
            if data:
                events.append(SSEEvent("\n".join(data), name or None, last_id, retry))
            data, name, retry = [], "", None
            continue
        if line.startswith(":"):
            continue
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
        elif field == "id" and "\0" not in value:
            last_id = value
        elif field == "retry" and re.fullmatch(r"[0-9]+", value):
            retry = int(value)
    return events


def decode_in_pieces(stream: bytes, cuts: list[int]) -> list[SSEEvent]:
    decoder = SSEDecoder(max_event_chars=1 << 20)
    events: list[SSEEvent] = []
    edges = [0, *sorted(cuts), len(stream)]
    for start, end in itertools.pairwise(edges):
        events += decoder.feed(stream[start:end])
    return events + decoder.close()


def random_stream(rng: random.Random) -> bytes:
    """A stream of random lines built from the pieces the rules care about."""
    names = ["data", "event", "id", "retry", "other", "", "dat"]
    values = ["", " ", "x", " 12", "7", "²", "3\u0663", "a b", "é", "✓😀", "\x00", ":", '{"a":"b"}']
    values += ["[DONE]", " [DONE] "]
    ends = ["\n", "\r", "\r\n"]
    parts: list[str] = ["\ufeff"] if rng.random() < 0.3 else []
    for _ in range(rng.randint(0, 40)):
        roll = rng.random()
        if roll < 0.25:
            parts.append(rng.choice(ends))  # a blank line: dispatch
        elif roll < 0.3:
            parts.append(":" + rng.choice(values) + rng.choice(ends))
        else:
            separator = rng.choice([":", ": ", ""])
            parts.append(rng.choice(names) + separator + rng.choice(values) + rng.choice(ends))
    if rng.random() < 0.3:
        parts.append("data: unterminated")
    raw = "".join(parts).encode()
    if rng.random() < 0.2:  # an invalid byte somewhere: decoded as U+FFFD
        at = rng.randint(0, len(raw))
        raw = raw[:at] + b"\xff" + raw[at:]
    return raw


def test_the_tricky_stream_decodes_as_the_reference_does() -> None:
    assert decode_in_pieces(TRICKY, []) == reference_events(TRICKY)
    assert len(reference_events(TRICKY)) == 5


def test_one_cut_anywhere_changes_nothing() -> None:
    expected = reference_events(TRICKY)
    for cut in range(len(TRICKY) + 1):
        assert decode_in_pieces(TRICKY, [cut]) == expected, cut


def test_two_cuts_anywhere_change_nothing() -> None:
    expected = reference_events(TRICKY)
    for first in range(len(TRICKY) + 1):
        for second in range(first, len(TRICKY) + 1):
            assert decode_in_pieces(TRICKY, [first, second]) == expected, (first, second)


def test_str_chunks_decode_as_bytes_do() -> None:
    text = TRICKY.decode("utf-8", errors="replace")
    decoder = SSEDecoder()
    events = [event for char in text for event in decoder.feed(char)] + decoder.close()
    assert events == reference_events(TRICKY)


@pytest.mark.parametrize("seed", [pytest.param(seed, id=f"seed-{seed}") for seed in range(12)])
def test_random_streams_in_random_pieces_decode_as_the_reference_does(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        stream = random_stream(rng)
        expected = reference_events(stream)
        assert decode_in_pieces(stream, []) == expected, stream
        for _ in range(10):
            cuts = [rng.randint(0, len(stream)) for _ in range(rng.randint(1, 12))]
            assert decode_in_pieces(stream, cuts) == expected, (stream, cuts)
        for cut in range(len(stream) + 1):
            assert decode_in_pieces(stream, [cut]) == expected, (stream, cut)


@pytest.mark.parametrize("value", ["²", "1²", "٣", "-1", "1.5", " 1"])
def test_a_retry_of_anything_but_ascii_digits_is_ignored(value: str) -> None:
    decoder = SSEDecoder()
    assert decoder.feed(f"retry: 20\n\nretry: {value}\ndata: x\n\n") == [SSEEvent(data="x")]
