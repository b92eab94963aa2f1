"""A per-token chat chunk as its three facts, for translators whose caller writes it from a template."""

from __future__ import annotations

from typing import Literal, NamedTuple

ChatDeltaField = Literal["content", "reasoning_content", "tool_calls"]


class ChatDelta(NamedTuple):
    """One chunk whose delta is ``text`` in ``field`` (for ``tool_calls``: the arguments of call
    ``call_index``), with the stream's usual ``id``, ``created`` and ``model``, ``choices[0].index``
    0 and no finish reason."""

    field: ChatDeltaField
    text: str
    call_index: int = 0
