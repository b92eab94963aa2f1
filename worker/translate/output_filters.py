"""Output filters: clean up text that local models leak, streaming-safe.

``strip_thinking`` removes ``<think>…</think>`` spans; ``strip_stop_markers`` removes chat
template control tokens (``<|im_end|>``, ``<|eot_id|>`` …) that some servers let through.
Both work on a stream: a tag split across chunks is still recognised, and text that only
*starts* like a tag is held back just until it can no longer become one. They touch only
content text, never tool arguments.

Known limit: a model whose template opened ``<think>`` in the prompt emits only the closing
tag; when streaming, the text before it has already been released and is kept.
:func:`strip_thinking` (one-shot) does drop such a leading span.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from coderouter_supervisor.worker.translate.text_filter import TextFilter

OutputFilterName = Literal["strip_thinking", "strip_stop_markers"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

DEFAULT_STOP_MARKERS: tuple[str, ...] = (
    "<|im_end|>",
    "<|im_start|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<|endoftext|>",
    "<|end|>",
    "<|turn|>",
    "<|python_tag|>",
    "<|channel>thought",
    "<end_of_turn>",
)
"""Control tokens of common chat templates (ChatML, Llama 3, Phi, Gemma, gpt-oss).
``</s>`` is deliberately absent: it is also ordinary HTML."""


def _partial_suffix(text: str, tags: Sequence[str]) -> int:
    """Length of the longest tail of ``text`` that is a proper prefix of one of ``tags``."""
    longest = 0
    for tag in tags:
        for size in range(min(len(tag) - 1, len(text)), longest, -1):
            if text.endswith(tag[:size]):
                longest = size
                break
    return longest


class ThinkingFilter:
    """Incremental ``strip_thinking``. An unclosed ``<think>`` at the end drops the rest."""

    def __init__(self) -> None:
        self._inside = False
        self._pending = ""

    def feed(self, text: str) -> str:
        buffer = self._pending + text
        self._pending = ""
        released: list[str] = []
        while buffer:
            tag = THINK_CLOSE if self._inside else THINK_OPEN
            found = buffer.find(tag)
            if found >= 0:
                if not self._inside:
                    released.append(buffer[:found])
                buffer = buffer[found + len(tag) :]
                self._inside = not self._inside
                continue
            keep = _partial_suffix(buffer, (tag,))
            if not self._inside:
                released.append(buffer[: len(buffer) - keep])
            self._pending = buffer[len(buffer) - keep :] if keep else ""
            buffer = ""
        return "".join(released)

    def flush(self) -> str:
        held, self._pending = self._pending, ""
        return "" if self._inside else held


class StopMarkerFilter:
    """Incremental ``strip_stop_markers``; a held partial marker is released at the end."""

    def __init__(self, markers: Sequence[str] = DEFAULT_STOP_MARKERS) -> None:
        self._markers = tuple(marker for marker in markers if marker)
        self._pending = ""

    def feed(self, text: str) -> str:
        buffer = self._pending + text
        for marker in self._markers:
            buffer = buffer.replace(marker, "")
        keep = _partial_suffix(buffer, self._markers)
        self._pending = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep]

    def flush(self) -> str:
        held, self._pending = self._pending, ""
        return held


class FilterChain:
    """Filters applied in order; each sees what the previous one released."""

    def __init__(self, filters: Sequence[TextFilter]) -> None:
        self._filters = tuple(filters)

    def feed(self, text: str) -> str:
        for text_filter in self._filters:
            text = text_filter.feed(text)
        return text

    def flush(self) -> str:
        text = ""
        for text_filter in self._filters:
            text = text_filter.feed(text) + text_filter.flush()
        return text


def build_filter_chain(names: Sequence[OutputFilterName]) -> FilterChain:
    """A fresh chain (filters are stateful: one per stream, or per content block)."""
    filters: list[TextFilter] = []
    for name in names:
        filters.append(ThinkingFilter() if name == "strip_thinking" else StopMarkerFilter())
    return FilterChain(filters)


def strip_thinking(text: str) -> str:
    """One-shot ``strip_thinking`` for a complete text, including a leading span whose
    ``<think>`` was part of the prompt (text up to a first ``</think>`` with no opener)."""
    close = text.find(THINK_CLOSE)
    if close >= 0 and THINK_OPEN not in text[:close]:
        text = text[close + len(THINK_CLOSE) :]
    stripper = ThinkingFilter()
    return stripper.feed(text) + stripper.flush()


def strip_stop_markers(text: str, markers: Sequence[str] = DEFAULT_STOP_MARKERS) -> str:
    stripper = StopMarkerFilter(markers)
    return stripper.feed(text) + stripper.flush()


def apply_filters(text: str, names: Sequence[OutputFilterName]) -> str:
    """One-shot run of the named filters over a complete (non-streamed) text."""
    for name in names:
        text = strip_thinking(text) if name == "strip_thinking" else strip_stop_markers(text)
    return text
