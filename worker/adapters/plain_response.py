"""Whether a Responses upstream's whole answer is plain: one ``ResponseObject`` accepts, seen
without building the model.

Plain is what upstreams send (message, reasoning and function-call items, other item types of a
string type, plain-int usage, no error) with every field the model reads of the type it wants;
unknown fields are ignored as the model ignores them. Anything else (a bool where an int goes, a
null where a list goes, an error object) is left to the model, which then decides or refuses.
"""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.translate import plain_responses_usage

_ABSENT: Any = object()


def _maybe(value: object, kind: type) -> bool:
    """Whether ``value`` is absent, None or exactly a ``kind`` (a bool is no int here)."""
    return value is _ABSENT or value is None or type(value) is kind


def _absent_or(value: object, kind: type) -> bool:
    """Whether ``value`` is absent or exactly a ``kind`` (a null is refused by the model)."""
    return value is _ABSENT or type(value) is kind


def _dicts(value: object) -> bool:
    return type(value) is list and all(type(item) is dict for item in value)


def is_plain_response(payload: dict[str, Any]) -> bool:
    """Whether ``payload`` is a whole response the model accepts, of the usual shape."""
    get = payload.get
    if type(get("id")) is not str or get("object", "response") != "response":
        return False
    if not (
        _absent_or(get("created_at", _ABSENT), int)
        and _absent_or(get("model", _ABSENT), str)
        and _absent_or(get("status", _ABSENT), str)
        and _absent_or(get("parallel_tool_calls", _ABSENT), bool)
        and _absent_or(get("tools", _ABSENT), list)
        and get("error") is None
    ):
        return False
    incomplete = get("incomplete_details")
    if incomplete is not None and (
        type(incomplete) is not dict or not _maybe(incomplete.get("reason", _ABSENT), str)
    ):
        return False
    usage = get("usage")
    if usage is not None and (type(usage) is not dict or plain_responses_usage(usage) is None):
        return False
    output = get("output", [])
    return type(output) is list and all(type(item) is dict and _is_plain_item(item) for item in output)


def _is_plain_item(item: dict[str, Any]) -> bool:
    kind = item.get("type")
    if kind == "message":
        return _is_plain_message(item)
    if kind == "function_call":
        return (
            type(item.get("call_id")) is str
            and type(item.get("name")) is str
            and type(item.get("arguments")) is str
            and all(_maybe(item.get(field, _ABSENT), str) for field in ("namespace", "id", "status"))
        )
    if kind == "reasoning":
        summary = item.get("summary", [])
        content = item.get("content")
        return (
            _dicts(summary)
            and all(_is_plain_summary(part) for part in summary)
            and (content is None or _dicts(content))
            and all(_maybe(item.get(field, _ABSENT), str) for field in ("id", "encrypted_content", "status"))
        )
    return type(kind) is str  # another item type: kept as it is, and left out of a translation


def _is_plain_message(item: dict[str, Any]) -> bool:
    content = item.get("content", [])
    return (
        type(item.get("id")) is str
        and item.get("role", "assistant") == "assistant"
        and _absent_or(item.get("status", _ABSENT), str)
        and _dicts(content)
        and all(_is_plain_part(part) for part in content)
    )


def _is_plain_part(part: dict[str, Any]) -> bool:
    kind = part.get("type")
    if kind == "output_text":
        annotations = part.get("annotations")
        return type(part.get("text")) is str and (annotations is None or _dicts(annotations))
    return type(kind) is str  # a refusal or another part type: the model keeps its fields


def _is_plain_summary(part: dict[str, Any]) -> bool:
    return part.get("type", "summary_text") == "summary_text" and type(part.get("text")) is str
