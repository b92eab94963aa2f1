"""Decode a large JSON body in short C calls, so that the thread doing it hands the GIL back often.

The C decoder holds the GIL for a whole call: the whole body in one call kept the event loop's
thread waiting 50-80 ms, and one string of a screenshot's base64 (25 MiB) ~40 ms on its own. Here a
top-level object's members and an array member's items are decoded one call each, and every string
of :data:`LONG_STRING` characters or more is cut out before decoding and checked a slice at a time.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from typing import Any, Final

# A string this long is checked and copied a slice at a time (~2 ms per slice).
LONG_STRING: Final = 1024 * 1024


def decode_json(text: str) -> Any:
    """``json.loads(text)`` without the numbers JSON does not have; a large text in pieces."""
    return decode_in_pieces(text) if len(text) > _DECODE_IN_PIECES_FROM else _DECODER.decode(text)


def decode_in_pieces(text: str, long_string: int = LONG_STRING) -> Any:
    """``json.loads(text)``, in pieces (see the module's doc). Raises :class:`json.JSONDecodeError`
    as ``json.loads`` does, and :class:`ValueError` for numbers JSON does not have."""
    spans = _long_string_spans(text, long_string)
    if spans:
        markers = {f"{secrets.token_hex(16)}-{index}": span for index, span in enumerate(spans)}
        try:
            value = _decode_members(_cut(text, markers))
        except json.JSONDecodeError:
            pass  # the cuts cannot make an invalid body valid; the whole text says where it is wrong
        else:
            return _put_back(
                value, {marker: _string_at(text, *span, long_string) for marker, span in markers.items()}
            )
    return _decode_members(text)


def _long_string_spans(text: str, minimum: int) -> list[tuple[int, int]]:
    """The quotes around every run of ``minimum`` or more characters that holds no quote, found by
    probing every ``minimum // 2`` characters (each such run holds a probe). A run is a string's
    content if the text decodes with the run replaced (see :func:`_cut`); a quote with a backslash
    before it may be escaped, so such a run is left alone."""
    spans: list[tuple[int, int]] = []
    step = max(minimum // 2, 1)
    probe = step
    while probe < len(text):
        opening = text.rfind('"', 0, probe)
        closing = text.find('"', probe)
        if closing == -1:
            break
        if (
            opening > 0
            and closing - opening - 1 >= minimum
            and text[opening - 1] != "\\"
            and text[closing - 1] != "\\"
            and (not spans or opening > spans[-1][1])
        ):
            spans.append((opening, closing))
        probe = max(probe + step, closing + 1)
    return spans


def _cut(text: str, markers: dict[str, tuple[int, int]]) -> str:
    """``text`` with each span's content replaced by its marker. Were a span not a string's content
    (it lay between a closing quote and the next opening one), the marker would stand bare between
    two strings and the result would not decode, so no cut changes what a body decodes to."""
    pieces: list[str] = []
    at = 0
    for marker, (opening, closing) in markers.items():
        pieces += (text[at : opening + 1], marker)
        at = closing
    pieces.append(text[at:])
    return "".join(pieces)


def _string_at(text: str, opening: int, closing: int, slice_length: int) -> str:
    """The string whose quotes are at ``opening`` and ``closing``, decoded as ``json`` would: a slice
    of the text when it holds no escape, each slice checked by the decoder for what JSON refuses in a
    string (control characters); with escapes, in one call."""
    content = range(opening + 1, closing)
    slices = range(content.start, content.stop, slice_length)
    if text.find("\\", content.start, content.stop) == -1 and all(
        _is_plain_string_content(text[start : min(start + slice_length, content.stop)]) for start in slices
    ):
        return text[content.start : content.stop]
    # In one call: an escape may straddle two slices, and an error's position is the text's.
    value: str = _DECODER.raw_decode(text, opening)[0]
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
