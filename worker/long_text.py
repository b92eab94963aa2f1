"""Long ASCII text (a screenshot's base64) made a slice at a time, copied with the GIL released.

Making a 29 MiB ``str`` (decoding it from the body's bytes, cutting a data URL's base64 out of it or
putting a data-URL prefix before it) is one C call that holds the GIL throughout, and most of its
time goes to page faults on the fresh memory: 15-20 ms on a quiet 2-core box, several times that
on a loaded one, and all that time the event loop waits. Here such a text is allocated unfilled
and filled a slice at a time by :func:`ctypes.memmove`, which, like every ctypes call into C
(``pythonapi`` aside), releases the GIL: the faults happen while the event loop runs.

This writes into a ``str`` before anyone else holds it, so it relies on CPython's compact ASCII
layout (the characters right after the object's header, whose size ``sys.getsizeof("")`` tells)
and checks that layout first. Text that is short, not ASCII, or not laid out so, and any other
Python, takes the ordinary single call.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Final

# Shorter text is made in one call: a few milliseconds at most.
LONG_TEXT: Final = 2 * 1024 * 1024
_SLICE: Final = 512 * 1024
# A compact ASCII str is its header, its characters, and a NUL.
_ASCII_HEADER: Final = sys.getsizeof("") - 1
_CPYTHON: Final = sys.implementation.name == "cpython"

if _CPYTHON:
    _new_str = ctypes.pythonapi.PyUnicode_New
    _new_str.argtypes = (ctypes.c_ssize_t, ctypes.c_uint32)
    _new_str.restype = ctypes.py_object


def ascii_text(data: memoryview) -> str:
    """``str(data, "utf-8")``; long ASCII bytes a slice at a time. Raises
    :class:`UnicodeDecodeError` as ``str`` does."""
    if not _CPYTHON or len(data) < LONG_TEXT:
        return str(data, "utf-8")
    text: str = _new_str(len(data), 127)
    at = id(text) + _ASCII_HEADER
    for start in range(0, len(data), _SLICE):
        piece = bytes(data[start : start + _SLICE])
        if not piece.isascii():
            del text  # never handed out: part of it is unfilled
            return str(data, "utf-8")
        ctypes.memmove(at + start, piece, len(piece))
    return text


def joined(head: str, tail: str) -> str:
    """``head + tail``; long ASCII text a slice at a time."""
    if not _in_slices(head, tail):
        return head + tail
    return _copied([(head, 0, len(head)), (tail, 0, len(tail))])


def after(text: str, start: int) -> str:
    """``text[start:]``; long ASCII text a slice at a time."""
    if not _in_slices(text) or len(text) - start < LONG_TEXT:
        return text[start:]
    return _copied([(text, start, len(text))])


def _in_slices(*texts: str) -> bool:
    return (
        _CPYTHON
        and sum(len(text) for text in texts) >= LONG_TEXT
        and all(text.isascii() and sys.getsizeof(text) == _ASCII_HEADER + len(text) + 1 for text in texts)
    )


def _copied(spans: list[tuple[str, int, int]]) -> str:
    """The spans of compact ASCII strs, joined."""
    text: str = _new_str(sum(end - start for _, start, end in spans), 127)
    to = id(text) + _ASCII_HEADER
    for source, start, end in spans:
        origin = id(source) + _ASCII_HEADER
        for at in range(start, end, _SLICE):
            length = min(_SLICE, end - at)
            ctypes.memmove(to, origin + at, length)
            to += length
    return text
