from __future__ import annotations

import json

import pytest

from coderouter_supervisor.worker.protocol import (
    DONE_FRAME,
    PING_FRAME,
    SSEDecoder,
    SSEEvent,
    SSEEventTooLarge,
    encode_data,
    encode_data_text,
    encode_event,
    encode_event_text,
)

STREAM = (
    b"event: message_start\r\n"
    b'data: {"type":"message_start"}\r\n'
    b"\r\n"
    b": ping\n"
    b"\n"
    b"data: line one\n"
    b"data: line two\n"
    b"\n"
    b"event: cr-only\r"
    b"data:no-space\r"
    b"\r"
    b"id: 7\n"
    b"retry: 1500\n"
    b"data: caf\xc3\xa9 \xe2\x9c\x93\n"
    b"\n"
    b"event: nodata\n"
    b"\n"
    b"data: [DONE]\n"
    b"\n"
)

EXPECTED = [
    SSEEvent(data='{"type":"message_start"}', event="message_start"),
    SSEEvent(data="line one\nline two"),
    SSEEvent(data="no-space", event="cr-only"),
    SSEEvent(data="café ✓", id="7", retry=1500),
    SSEEvent(data="[DONE]", id="7"),
]


@pytest.mark.parametrize(
    "size", [pytest.param(n, id=f"chunks-of-{n}") for n in (1, 2, 3, 5, 17, len(STREAM))]
)
def test_decoder_is_independent_of_chunk_boundaries(size: int) -> None:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for start in range(0, len(STREAM), size):
        events += decoder.feed(STREAM[start : start + size])
    events += decoder.close()
    assert events == EXPECTED


def test_decoder_accepts_str_and_empty_chunks() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("data: a\r") == []
    assert decoder.feed("") == []
    assert decoder.feed(b"") == []
    assert decoder.feed("\n\r\n") == [SSEEvent(data="a")]


def test_a_cr_split_from_its_lf_is_one_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n\r\n") == [SSEEvent(data="a\nb")]


def test_close_delivers_an_unterminated_last_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'event: error\ndata: {"x":1}') == []
    assert decoder.close() == [SSEEvent(data='{"x":1}', event="error")]


def test_leading_bom_is_ignored() -> None:
    assert SSEDecoder().feed("\ufeffdata: x\n\n") == [SSEEvent(data="x")]


def test_encoders_round_trip_through_the_decoder() -> None:
    frames = encode_event("message_stop", {"type": "message_stop"}) + encode_data({"a": "é\nb"}) + DONE_FRAME
    assert frames.startswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    assert SSEDecoder().feed(frames) == [
        SSEEvent(data='{"type":"message_stop"}', event="message_stop"),
        SSEEvent(data='{"a":"é\\nb"}'),
        SSEEvent(data="[DONE]"),
    ]
    assert SSEDecoder().feed(PING_FRAME) == [SSEEvent(data='{"type":"ping"}', event="ping")]


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param(["data: " + "x" * 40], id="a-line-that-never-ends"),
        pytest.param(["data: " + "x" * 15 + "\n"] * 3, id="an-event-of-many-lines"),
        pytest.param(["data: " + "x" * 10, "y" * 10, "z" * 10], id="a-line-over-several-reads"),
    ],
)
def test_an_event_past_the_limit_is_refused(pieces: list[str]) -> None:
    decoder = SSEDecoder(max_event_chars=32)
    with pytest.raises(SSEEventTooLarge):
        for piece in pieces:
            decoder.feed(piece)


def test_the_limit_counts_one_event_at_a_time() -> None:
    decoder = SSEDecoder(max_event_chars=32)
    frame = "data: " + "x" * 20 + "\n\n"
    assert decoder.feed(frame * 50) == [SSEEvent(data="x" * 20)] * 50


def test_event_json_is_compact_and_keeps_unicode() -> None:
    frame = encode_data({"a": [1, 2.5, None, True], "b": {"c": 'é\u2028"x"'}})
    assert frame == 'data: {"a":[1,2.5,null,true],"b":{"c":"é\u2028\\"x\\""}}\n\n'.encode()


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        pytest.param('{"a":1}', b'data: {"a":1}\n', id="one-line"),
        pytest.param("a\nb\n", b"data: a\ndata: b\ndata: \n", id="each-line-its-own-data-line"),
        pytest.param("", b"data: \n", id="empty"),
    ],
)
def test_forwarded_text_keeps_its_lines(data: str, lines: bytes) -> None:
    assert encode_event_text("e", data) == b"event: e\n" + lines + b"\n"
    assert encode_data_text(data) == lines + b"\n"


def test_a_lone_surrogate_goes_out_as_its_json_escape_and_the_rest_as_utf8() -> None:
    payload = {"text": "a\ud800b \u00e9 \U0001f600"}
    frame = encode_event("content_block_delta", payload)
    expected = 'event: content_block_delta\ndata: {"text":"a\\ud800b \u00e9 \U0001f600"}\n\n'.encode()
    assert frame == expected
    assert json.loads(frame.split(b"data: ", 1)[1]) == payload
    assert encode_data({"t": "ok"}) == b'data: {"t":"ok"}\n\n'
