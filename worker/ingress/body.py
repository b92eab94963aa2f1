"""Read and validate a JSON request body: the one place pydantic errors become ours."""

from __future__ import annotations

import functools
import json
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import ClientDisconnect, Request

from coderouter_supervisor.worker.errors import InvalidRequest, RequestTooLarge, UnsupportedContentType
from coderouter_supervisor.worker.ingress.json_pieces import decode_json
from coderouter_supervisor.worker.offload import LARGE_CONVERSATION, run_step

M = TypeVar("M", bound=BaseModel)

# Real requests nest a handful of levels (tool schemas perhaps a dozen); deeper is an attack on
# every recursive walk of the body downstream.
MAX_JSON_DEPTH = 64
# Every step after reading (parse, validation, guards, translation) costs time per JSON value, and
# 900,000 tiny messages kept a worker from answering anything for 4.5 s. Commas and opening
# brackets bound the values from above and are counted as the body arrives; text with commas counts
# too, so the bound sits far above what fits a model's context (a 1M-token request holds ~100,000).
MAX_JSON_ELEMENTS = 200_000
_VALIDATION_SLICE = LARGE_CONVERSATION
_TYPE_WORDS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


async def read_body(request: Request, model: type[M], limit: int) -> tuple[dict[str, Any], M]:
    """The body as a JSON object and validated as ``model``.

    Raises :class:`UnsupportedContentType` unless it is declared JSON, :class:`RequestTooLarge` past
    ``limit`` bytes or :data:`MAX_JSON_ELEMENTS`, else :class:`InvalidRequest` for anything that is
    not one valid UTF-8 JSON object of ``model``'s shape. A large body is parsed and validated on a
    thread so that the event loop keeps serving other requests meanwhile (see :mod:`..offload`).
    """
    raw, elements = await _read_bytes(request, limit)
    # A small message holds three elements ({ and two commas); a MiB of text weighs like 256 of them.
    weight = elements // 3 + len(raw) // 4096
    return await run_step(weight, _parse_and_validate, raw, model)


async def _read_bytes(request: Request, limit: int) -> tuple[bytearray, int]:
    """The body and how many JSON elements (commas and opening brackets) it holds. Gathered chunk by
    chunk as it arrives: joining 28 MiB of chunks at the end held the event loop for ~20 ms."""
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
    body = bytearray()
    size = elements = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge(f"request body exceeds the limit of {limit} bytes")
            elements += chunk.count(b",") + chunk.count(b"{") + chunk.count(b"[")
            if elements > MAX_JSON_ELEMENTS:
                raise RequestTooLarge(
                    f"request body has more than {MAX_JSON_ELEMENTS} JSON elements "
                    "(commas and opening brackets); send fewer messages or content blocks"
                )
            body += chunk
    except ClientDisconnect as exc:
        raise InvalidRequest("the request body ended before it was complete") from exc
    return body, elements


def _parse_and_validate(raw: bytearray, model: type[M]) -> tuple[dict[str, Any], M]:
    """Runs on a thread. The walks and validation slices are short steps of Python between which
    the event loop's thread takes the GIL back; so are the JSON decoder's calls (see
    :mod:`.json_pieces`)."""
    data = _parse_object(raw)
    return data, _validate_in_slices(model, data)


def _parse_object(raw: bytearray) -> dict[str, Any]:
    if not raw or raw.isspace():
        raise InvalidRequest("request body is empty; expected a JSON object")
    try:
        # Not json.loads, which would guess UTF-16/32 from a byte-order mark.
        data = decode_json(raw)
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
        raise _invalid(exc) from exc


def _validate_in_slices(model: type[M], data: dict[str, Any]) -> M:
    """:func:`validate_body`, validating a long ``messages`` list a slice at a time: one
    validation call of a whole large body holds the GIL for as long as it takes (300 ms for
    100,000 messages), slices a few milliseconds each."""
    messages = data.get("messages")
    if "messages" not in model.model_fields or not isinstance(messages, list):
        return validate_body(model, data)
    if len(messages) <= _VALIDATION_SLICE:
        return validate_body(model, data)
    adapter = _messages_adapter(model)
    validated: list[Any] = []
    for start in range(0, len(messages), _VALIDATION_SLICE):
        try:
            validated += adapter.validate_python(messages[start : start + _VALIDATION_SLICE], strict=True)
        except ValidationError as exc:
            raise _invalid(exc, ("messages",), start) from exc
    parsed = validate_body(model, {**data, "messages": []})
    parsed.messages = validated  # type: ignore[attr-defined]  # model_fields says it has one
    return parsed


@functools.cache
def _messages_adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    annotation: Any = model.model_fields["messages"].annotation
    return TypeAdapter(annotation)


def _invalid(exc: ValidationError, prefix: tuple[str, ...] = (), offset: int = 0) -> InvalidRequest:
    """The first error of ``exc`` as :class:`InvalidRequest`; ``prefix`` and ``offset`` place an
    error of a slice of a list where it is in the whole body."""
    error = exc.errors(include_url=False)[0]
    location = tuple(error["loc"])
    if prefix and location and isinstance(location[0], int):
        location = (*prefix, location[0] + offset, *location[1:])
    field = _field_path(location)
    message = error["msg"]
    if error["type"] == "missing":
        message = "field required"
    return InvalidRequest(f"{field}: {message}" if field else message, field=field or None)
