"""Render a :class:`GatewayError` on the wire, once per protocol.

Before a response starts, an error is a status plus an envelope body plus headers. After a
stream's first byte it becomes that protocol's in-stream error (Anthropic ``event: error``;
OpenAI an error ``data:`` chunk, with no ``[DONE]``, which would tell the client the answer is
complete) and the stream ends.
"""

from __future__ import annotations

import math

from coderouter_supervisor.worker.errors import ContextOverflow, ErrorKind, GatewayError, InvalidRequest
from coderouter_supervisor.worker.protocol.anthropic_response import (
    AnthropicErrorType,
    ErrorDetail,
    ErrorEnvelope,
)
from coderouter_supervisor.worker.protocol.anthropic_stream import ErrorEvent
from coderouter_supervisor.worker.protocol.openai_response import OpenAIErrorDetail, OpenAIErrorEnvelope
from coderouter_supervisor.worker.protocol.sse import encode_data, encode_event

_ANTHROPIC_TYPE_BY_STATUS: dict[int, AnthropicErrorType] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

_STATUS_BY_ANTHROPIC_TYPE: dict[str, int] = {
    error_type: status for status, error_type in _ANTHROPIC_TYPE_BY_STATUS.items()
}

_ANTHROPIC_TYPE_BY_KIND: dict[ErrorKind, AnthropicErrorType] = {
    "invalid_request": "invalid_request_error",
    "authentication": "authentication_error",
    "permission": "permission_error",
    "not_found": "not_found_error",
    "request_too_large": "request_too_large",
    "rate_limit": "rate_limit_error",
    "api_error": "api_error",
    "overloaded": "overloaded_error",
    "timeout": "timeout_error",
}

# OpenAI's own type/code strings where it has them; the SDK picks its exception class by
# status, so these only inform people and agents reading the body.
_OPENAI_TYPE_BY_KIND: dict[ErrorKind, tuple[str, str | None]] = {
    "invalid_request": ("invalid_request_error", None),
    "authentication": ("authentication_error", "invalid_api_key"),
    "permission": ("permission_error", None),
    "not_found": ("not_found_error", None),
    "request_too_large": ("invalid_request_error", "request_too_large"),
    "rate_limit": ("rate_limit_error", "rate_limit_exceeded"),
    "api_error": ("server_error", None),
    "overloaded": ("server_error", "overloaded"),
    "timeout": ("timeout_error", "timeout"),
}


def anthropic_error_type(status: int) -> AnthropicErrorType:
    """The Anthropic ``error.type`` for an HTTP status (other 4xx: invalid_request_error; 5xx: api_error)."""
    if status in _ANTHROPIC_TYPE_BY_STATUS:
        return _ANTHROPIC_TYPE_BY_STATUS[status]
    return "invalid_request_error" if 400 <= status < 500 else "api_error"


def anthropic_status(error_type: str) -> int:
    """The HTTP status Anthropic uses for an ``error.type``; unknown types read as 500."""
    return _STATUS_BY_ANTHROPIC_TYPE.get(error_type, 500)


def anthropic_message(error: GatewayError) -> str:
    """The Anthropic-facing message: context overflow in the wording Claude Code parses."""
    if isinstance(error, ContextOverflow):
        if error.tokens is not None and error.maximum is not None:
            return f"prompt is too long: {error.tokens} tokens > {error.maximum} maximum"
        return f"prompt is too long: {error.message}"
    return error.message


def anthropic_error_envelope(error: GatewayError) -> ErrorEnvelope:
    """``{"type":"error","error":{"type","message"}}`` for ``error``; send with ``error.status``."""
    extra: dict[str, object] = dict(error.details or {})
    if error.code is not None:
        extra["code"] = error.code
    detail = ErrorDetail(type=_ANTHROPIC_TYPE_BY_KIND[error.kind], message=anthropic_message(error), **extra)
    return ErrorEnvelope(error=detail)


def anthropic_error_event(error: GatewayError) -> ErrorEvent:
    """The ``error`` stream event that ends a started Anthropic stream."""
    return ErrorEvent(error=anthropic_error_envelope(error).error)


def encode_anthropic_stream_error(error: GatewayError) -> bytes:
    """The bytes of the ``event: error`` frame; nothing may follow it."""
    return encode_event("error", anthropic_error_event(error).to_wire())


def openai_status(error: GatewayError) -> int:
    """The status for the OpenAI ingress: 529 is Anthropic-only, OpenAI clients know 503."""
    return 503 if error.status == 529 else error.status


def openai_error_envelope(error: GatewayError) -> OpenAIErrorEnvelope:
    """``{"error":{"message","type","param","code"}}``; the message stays the upstream's verbatim."""
    error_type, code = _OPENAI_TYPE_BY_KIND[error.kind]
    param = error.field if isinstance(error, InvalidRequest) else None
    if isinstance(error, ContextOverflow):
        code = "context_length_exceeded"
    code = error.code or code
    detail = OpenAIErrorDetail(message=error.message, type=error_type, param=param, code=code)
    return OpenAIErrorEnvelope(error=detail)


def encode_openai_stream_error(error: GatewayError) -> bytes:
    """The error chunk that ends a stream (the OpenAI SDK raises on it); no ``data: [DONE]``
    follows, since that marks a complete answer."""
    return encode_data(openai_error_envelope(error).to_wire())


def error_headers(error: GatewayError) -> dict[str, str]:
    """Headers for an error answer: ``retry-after`` (whole seconds) and ``x-should-retry``.

    ``x-should-retry`` is what the OpenAI and Anthropic SDKs consult first; it says true for
    overload, rate limits, timeouts and server-side failures, false for what retrying cannot fix
    (a client fault, or an error whose ``retry_can_cure`` is False).
    """
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(0, math.ceil(error.retry_after)))
    retry = error.retry_can_cure
    if retry is None:
        retry = error.kind in ("rate_limit", "overloaded", "timeout", "api_error")
    headers["x-should-retry"] = "true" if retry else "false"
    return headers
