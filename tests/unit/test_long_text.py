"""Long text made a slice at a time is the same text the one-call operations make."""

from __future__ import annotations

import base64
import os

import pytest

from coderouter_supervisor.worker.long_text import LONG_TEXT, after, ascii_text, joined

LONG = base64.b64encode(os.urandom(LONG_TEXT)).decode()  # 4/3 of the threshold, not a slice multiple
PREFIX = "data:image/png;base64,"


def _same(made: str, expected: str) -> None:
    assert made == expected
    assert hash(made) == hash(expected)
    assert made.isascii() == expected.isascii()
    assert made.encode() == expected.encode()
    assert {made: 1}[expected] == 1


@pytest.mark.parametrize(
    "data",
    [LONG.encode(), LONG[: LONG_TEXT - 1].encode(), b"", ("é" + LONG).encode(), (LONG + "日本").encode()],
    ids=["long", "short", "empty", "not-ascii-first-slice", "not-ascii-last-slice"],
)
def test_ascii_text_is_what_str_decodes(data: bytes) -> None:
    _same(ascii_text(memoryview(bytearray(data))), str(data, "utf-8"))


def test_ascii_text_refuses_bytes_that_are_not_utf8_as_str_does() -> None:
    data = LONG.encode() + b"\xff"
    with pytest.raises(UnicodeDecodeError):
        ascii_text(memoryview(data))


def test_ascii_text_reads_only_its_view() -> None:
    raw = bytearray(b'{"x": "' + LONG.encode() + b'"}')
    _same(ascii_text(memoryview(raw)[7:-2]), LONG)


@pytest.mark.parametrize(
    "tail", [LONG, LONG[:100], LONG + "é", ""], ids=["long", "short", "not-ascii", "empty"]
)
@pytest.mark.parametrize("head", [PREFIX, "", "é"], ids=["prefix", "empty", "not-ascii"])
def test_joined_is_concatenation(head: str, tail: str) -> None:
    _same(joined(head, tail), head + tail)


@pytest.mark.parametrize(
    "start", [0, 1, len(PREFIX), len(LONG) // 2, len(LONG) - LONG_TEXT, len(LONG), len(LONG) + 5]
)
def test_after_is_the_slice(start: int) -> None:
    _same(after(PREFIX + LONG, start), (PREFIX + LONG)[start:])


def test_after_on_text_that_is_not_ascii() -> None:
    text = "é" + LONG
    _same(after(text, 1), text[1:])
