"""Chat completion stream chunks as an OpenAI-compatible upstream sends them, for translator tests."""

from __future__ import annotations

from typing import Any


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """One chunk of the answer ``chatcmpl-1`` by ``qwen``; ``extra`` adds or replaces top-level fields."""
    return {
        "id": "chatcmpl-1",
        "model": "qwen",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
    } | extra


def call(
    index: int, *, call_id: str | None = None, name: str | None = None, arguments: str | None = ""
) -> dict[str, Any]:
    """A delta carrying one tool-call fragment (``arguments`` None: the fragment has none)."""
    function: dict[str, Any] = {} if arguments is None else {"arguments": arguments}
    if name:
        function["name"] = name
    entry: dict[str, Any] = {"index": index, "function": function}
    if call_id:
        entry["id"] = call_id
    return {"tool_calls": [entry]}
