"""Read and validate a JSON request body: the one place pydantic errors become ours."""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request

from coderouter_supervisor.worker.errors import InvalidRequest, RequestTooLarge, UnsupportedContentType

M = TypeVar("M", bound=BaseModel)

# Real requests nest a handful of levels (tool schemas perhaps a dozen); deeper is an attack on
# every recursive walk of the body downstream.
MAX_JSON_DEPTH = 64
_TYPE_WORDS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object; :class:`RequestTooLarge` past ``limit`` bytes, else
    :class:`InvalidRequest` for anything that is not one UTF-8 JSON object."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    # `curl -d` without -H sends a form type; both it and a missing type are told the fix.
    if content_type != "application/json" and not content_type.endswith("+json"):
        declared_type = f"content type {content_type!r}" if content_type else "a body without a content type"
        raise UnsupportedContentType(
            f"{declared_type} is not accepted; send the body as Content-Type: application/json"
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(f"request body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge(f"request body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise InvalidRequest("the request body ended before it was complete") from exc
    raw = b"".join(chunks)
    if not raw.strip():
        raise InvalidRequest("request body is empty; expected a JSON object")
    try:
        # Decoded here rather than by json.loads, which would guess UTF-16/32 from a byte-order mark.
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnicodeDecodeError as exc:
        raise InvalidRequest("request body is not valid UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except ValueError as exc:
        # A non-finite number, or an integer past Python's digit limit for int() (4300 digits).
        raise InvalidRequest(f"request body holds a number the gateway cannot take: {exc}") from exc
    except RecursionError as exc:
        raise InvalidRequest("request body nests JSON too deeply") from exc
    if not isinstance(data, dict):
        raise InvalidRequest(f"request body must be a JSON object, not {type(data).__name__}")
    if _deeper_than(data, MAX_JSON_DEPTH):
        raise InvalidRequest(f"request body nests JSON more than {MAX_JSON_DEPTH} levels deep")
    return data


def _refuse_constant(name: str) -> float:
    """``NaN``, ``Infinity`` and ``-Infinity``: Python's JSON reader takes them, JSON does not."""
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    """A float literal, refused when it overflows to infinity (``1e999``)."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is out of range")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return False


def _field_path(location: tuple[int | str, ...]) -> str:
    """``messages[0].content`` from pydantic's location, without its union-member tags."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part or "(" in part or part.lower() in _TYPE_WORDS or part.startswith("function-"):
            continue
        else:
            path += f".{part}" if path else part
    return path


def validate_body(model: type[M], data: dict[str, Any]) -> M:
    """``data`` as ``model``; :class:`InvalidRequest` naming the first bad field otherwise."""
    try:
        # Strict: "10" is not a number and "yes" is not a boolean, as on the real APIs.
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = _field_path(tuple(error["loc"]))
        message = error["msg"]
        if error["type"] == "missing":
            message = "field required"
        raise InvalidRequest(f"{field}: {message}" if field else message, field=field or None) from exc
