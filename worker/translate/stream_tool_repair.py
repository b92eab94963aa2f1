"""Tool repair for streamed text: hold back only what may be a call written as text.

Text flows through at once, except from the point where a call may begin — a ``<tool_call>`` tag,
or a line starting with ``{`` or a code fence — until that segment can be judged: the tag closed,
the fence closed, the JSON object complete (or a blank line / the size limit reached). The segment
is then handed to :func:`repair_tool_calls`, the same rules as for whole answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from coderouter_supervisor.worker.translate.tool_repair import RepairedCall, repair_tool_calls

_OPEN_TAG = "<tool_call>"
_CLOSE_TAG = "</tool_call>"
# Only bare or ``json`` fences can hold a call; other code blocks (and JSON inside them) stream on.
_LINE_HEAD = re.compile(r"(?m)^[ \t]*(?:\{|(```)[ \t]*(\w*))")
_CLOSING_FENCE = re.compile(r"(?m)^[ \t]*```[ \t]*$")
_DECODER = json.JSONDecoder()
# Past this size a held segment is judged as it is; a model does not write calls this long.
MAX_HELD_CHARS = 256 * 1024

Piece = str | RepairedCall


class StreamingToolRepair:
    """Feed text deltas, get text pieces and repaired calls in order; one instance per answer."""

    def __init__(self, declared: Collection[str]) -> None:
        self._declared = frozenset(declared)
        self._buffer = ""
        self._at_line_start = True
        self._fence_open = False  # inside a released code block that cannot be a call
        self._line_carry = ""
        self.repaired = 0

    def feed(self, text: str) -> list[Piece]:
        if not self._declared:
            return [text] if text else []
        self._buffer += text
        return self._drain(final=False)

    def flush(self) -> list[Piece]:
        """Everything still held, judged as it stands (the answer ended)."""
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> list[Piece]:
        pieces: list[Piece] = []
        while self._buffer:
            start = self._suspect_start()
            if start is None:
                keep = 0 if final else self._undecided_tail()
                self._release(self._buffer[: len(self._buffer) - keep], pieces)
                self._buffer = self._buffer[len(self._buffer) - keep :]
                break
            self._release(self._buffer[:start], pieces)
            self._buffer = self._buffer[start:]
            end = self._segment_end()
            if end is None:
                if not final:
                    break
                end = len(self._buffer)
                if self._buffer.lstrip(" \t").startswith(_OPEN_TAG) and _CLOSE_TAG not in self._buffer:
                    # Some servers treat the closing tag as a stop sequence and never send it.
                    self._judge(self._buffer, pieces, closing=_CLOSE_TAG)
                    self._buffer = ""
                    break
            self._judge(self._buffer[:end], pieces)
            self._buffer = self._buffer[end:]
        return pieces

    def _release(self, text: str, pieces: list[Piece]) -> None:
        if text:
            pieces.append(text)
            self._at_line_start = text.endswith("\n")
            self._track_fences(text)

    def _judge(self, segment: str, pieces: list[Piece], closing: str = "") -> None:
        repair = repair_tool_calls(segment + closing, self._declared)
        if not repair.calls:
            self._release(segment, pieces)
            return
        self.repaired += len(repair.calls)
        if repair.text:
            pieces.append(repair.text)
        pieces.extend(repair.calls)
        self._at_line_start = True
        self._line_carry = ""

    def _suspect_start(self) -> int | None:
        """Where a possible call begins in the buffer: the open tag, or (outside other code blocks)
        a line starting with ``{`` or a bare/``json`` fence."""
        tag = self._buffer.find(_OPEN_TAG)
        fence_open = self._fence_open
        for match in _LINE_HEAD.finditer(self._buffer):
            if tag >= 0 and match.start() > tag:
                break
            if match.start() == 0 and not self._at_line_start:
                continue
            fence, language = match.group(1), (match.group(2) or "").lower()
            if fence is None:
                if not fence_open:
                    return match.start()
            elif fence_open:
                fence_open = False
            elif language in ("", "json"):
                return match.start()
            else:
                fence_open = True
        return tag if tag >= 0 else None

    def _track_fences(self, released: str) -> None:
        lines = (self._line_carry + released).split("\n")
        self._line_carry = lines.pop()
        for line in lines:
            match = _LINE_HEAD.match(line)
            if match is not None and match.group(1) is not None:
                self._fence_open = not self._fence_open

    def _segment_end(self) -> int | None:
        """Where the held segment at the buffer's start ends, or None while it is undecided."""
        held = self._buffer
        if len(held) > MAX_HELD_CHARS:
            return len(held)
        stripped = held.lstrip(" \t")
        offset = len(held) - len(stripped)
        if stripped.startswith(_OPEN_TAG):
            close = held.find(_CLOSE_TAG)
            return None if close < 0 else close + len(_CLOSE_TAG)
        if stripped.startswith("```"):
            first_line_end = held.find("\n")
            if first_line_end < 0:
                return None
            closing = _CLOSING_FENCE.search(held, first_line_end + 1)
            return None if closing is None else closing.end()
        try:
            _, end = _DECODER.raw_decode(held, offset)
        except ValueError:
            blank = held.find("\n\n")
            return None if blank < 0 else blank
        return end

    def _undecided_tail(self) -> int:
        """How much of the buffer's end to hold because the next delta may turn it into a call."""
        tail = 0
        for size in range(min(len(_OPEN_TAG) - 1, len(self._buffer)), 0, -1):
            if self._buffer.endswith(_OPEN_TAG[:size]):
                tail = size
                break
        line_start = self._buffer.rfind("\n") + 1
        if line_start == 0 and not self._at_line_start:
            return tail
        last_line = self._buffer[line_start:].lstrip(" \t")
        if "```".startswith(last_line) or last_line.startswith("```"):  # a fence line still being written
            tail = max(tail, len(self._buffer) - line_start)
        return tail
