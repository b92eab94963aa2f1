"""The interface of an incremental text filter, as stream translators use it."""

from __future__ import annotations

from typing import Protocol


class TextFilter(Protocol):
    """Rewrites a text stream piece by piece.

    ``feed`` returns the text that is safe to release now (it may hold back a tail that could
    still become a tag); ``flush`` returns whatever is held at the end of the stream.
    """

    def feed(self, text: str) -> str: ...

    def flush(self) -> str: ...
