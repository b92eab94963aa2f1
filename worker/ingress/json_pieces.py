"""Decode a large JSON body in short C calls, so that the thread doing it hands the GIL back often.

The C decoder holds the GIL for a whole call: the whole body in one call kept the event loop's
thread waiting 50-80 ms, and one string of a screenshot's base64 (25 MiB) ~40 ms on its own, as did
decoding the 28 MiB body's UTF-8 into fresh memory. Here every string of :data:`LONG_STRING` bytes
or more is cut out of the body before anything is decoded and becomes text once, checked a slice at
a time; the rest, a top-level object's members and an array member's items, one call each.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from typing import Any, Final

from coderouter_supervisor.worker.long_text import ascii_text

# A string this long is checked a slice at a time (~2 ms per slice).
LONG_STRING: Final = 1024 * 1024


def decode_json(raw: bytes | bytearray) -> Any:
    """``json.loads`` of UTF-8 ``raw``, without the numbers JSON does not have; a large body in
    pieces. Raises :class:`UnicodeDecodeError`, :class:`json.JSONDecodeError` as ``json.loads``
    does, or :class:`ValueError` for a number JSON does not have."""
    if len(raw) > _DECODE_IN_PIECES_FROM:
        return decode_in_pieces(raw)
    return _DECODER.decode(raw.decode("utf-8"))


def decode_in_pieces(raw: bytes | bytearray, long_string: int = LONG_STRING) -> Any:
    """:func:`decode_json`, in pieces (see the module's doc)."""
    spans = _long_string_spans(raw, long_string)
    if spans:
        markers = {f"{secrets.token_hex(16)}-{index}": span for index, span in enumerate(spans)}
        try:
            value = _decode_members(_cut(raw, markers))
            strings = {marker: _string_at(raw, *span, long_string) for marker, span in markers.items()}
        except json.JSONDecodeError:
            pass  # the cuts cannot make an invalid body valid; the whole text says where it is wrong
        else:
            return _put_back(value, strings)
    return _decode_members(raw.decode("utf-8"))


_BACKSLASH = ord("\\")


def _long_string_spans(raw: bytes | bytearray, minimum: int) -> list[tuple[int, int]]:
    """The quotes around every run of ``minimum`` or more bytes that holds no quote, found by
    probing every ``minimum // 2`` bytes (each such run holds a probe). A run is a string's
    content if the body decodes with the run replaced (see :func:`_cut`); a quote with a backslash
    before it may be escaped, so such a run is left alone."""
    spans: list[tuple[int, int]] = []
    step = max(minimum // 2, 1)
    probe = step
    while probe < len(raw):
        opening = raw.rfind(b'"', 0, probe)
        closing = raw.find(b'"', probe)
        if closing == -1:
            break
        if (
            opening > 0
            and closing - opening - 1 >= minimum
            and raw[opening - 1] != _BACKSLASH
            and raw[closing - 1] != _BACKSLASH
            and (not spans or opening > spans[-1][1])
        ):
            spans.append((opening, closing))
        probe = max(probe + step, closing + 1)
    return spans


def _cut(raw: bytes | bytearray, markers: dict[str, tuple[int, int]]) -> str:
    """The body's text with each span's content replaced by its marker. Were a span not a string's
    content (it lay between a closing quote and the next opening one), the marker would stand bare
    between two strings and the result would not decode, so no cut changes what a body decodes to."""
    pieces: list[str] = []
    at = 0
    for marker, (opening, closing) in markers.items():
        pieces += (raw[at : opening + 1].decode("utf-8"), marker)
        at = closing
    pieces.append(raw[at:].decode("utf-8"))
    return "".join(pieces)


def _string_at(raw: bytes | bytearray, opening: int, closing: int, slice_length: int) -> str:
    """The string whose quotes are at ``opening`` and ``closing``, decoded as ``json`` would: its
    bytes as text when they hold no escape, each slice checked by the decoder for what JSON refuses
    in a string (control characters); with escapes, in one call. Raises
    :class:`json.JSONDecodeError` (at a position within the string) for what JSON refuses."""
    if raw.find(b"\\", opening + 1, closing) == -1:
        text = ascii_text(memoryview(raw)[opening + 1 : closing])
        if all(
            _is_plain_string_content(text[at : at + slice_length]) for at in range(0, len(text), slice_length)
        ):
            return text
    value: str = _DECODER.raw_decode(raw[opening : closing + 1].decode("utf-8"))[0]
    return value


def _is_plain_string_content(piece: str) -> bool:
    try:
        _DECODER.raw_decode(f'"{piece}"')
    except json.JSONDecodeError:
        return False
    return True


def _put_back(value: Any, strings: dict[str, str]) -> Any:
    """``value`` with every string (or key) that is a marker replaced by the string it stands for."""
    if isinstance(value, str):
        return strings.get(value, value)
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any(key in strings for key in item):
                renamed = {strings.get(key, key): child for key, child in item.items()}
                item.clear()
                item.update(renamed)
            for key, child in item.items():
                if isinstance(child, str):
                    item[key] = strings.get(child, child)
                elif isinstance(child, dict | list):
                    stack.append(child)
        elif isinstance(item, list):
            for index, child in enumerate(item):
                if isinstance(child, str):
                    item[index] = strings.get(child, child)
                elif isinstance(child, dict | list):
                    stack.append(child)
    return value


def _decode_members(text: str) -> Any:
    """A top-level object member by member, an array member item by item."""
    at = _skip_space(text, 0)
    if not text.startswith("{", at):
        return _DECODER.decode(text)  # not an object: refused by the caller, worded by json
    members: dict[str, Any] = {}
    at = _skip_space(text, at + 1)
    closed = text.startswith("}", at)
    while not closed:
        if not text.startswith('"', at):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
        key, at = _DECODER.raw_decode(text, at)
        at = _skip_space(text, at)
        if not text.startswith(":", at):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, at)
        at = _skip_space(text, at + 1)
        members[key], at = _decode_value(text, at)
        at, closed = _next_item(text, at, "}")
    end = _skip_space(text, at + 1)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return members


def _decode_value(text: str, at: int) -> tuple[Any, int]:
    """One member's value; an array item by item. Returns the value and the index just past it."""
    if not text.startswith("[", at):
        return _DECODER.raw_decode(text, at)
    items: list[Any] = []
    at = _skip_space(text, at + 1)
    closed = text.startswith("]", at)
    while not closed:
        item, at = _DECODER.raw_decode(text, at)
        items.append(item)
        at, closed = _next_item(text, at, "]")
    return items, at + 1


def _next_item(text: str, at: int, closer: str) -> tuple[int, bool]:
    """After a value: the index of the next one and False, or of ``closer`` and True."""
    at = _skip_space(text, at)
    if text.startswith(",", at):
        return _skip_space(text, at + 1), False
    if text.startswith(closer, at):
        return at, True
    raise json.JSONDecodeError("Expecting ',' delimiter", text, at)


def _skip_space(text: str, at: int) -> int:
    end = _SPACE.match(text, at)
    return at if end is None else end.end()


def _refuse_constant(name: str) -> float:
    """``NaN``, ``Infinity`` and ``-Infinity``: Python's JSON reader takes them, JSON does not."""
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    """A float literal, refused when it overflows to infinity (``1e999``)."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is out of range")
    return value


# Below this a body decodes in one call faster than in pieces, and too fast to stall anything.
_DECODE_IN_PIECES_FROM: Final = 1 << 20
_DECODER: Final = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
_SPACE = re.compile(r"[ \t\n\r]*")
