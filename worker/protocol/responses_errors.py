"""Errors on the Responses stream, both ways.

Before a response starts, a Responses client gets the OpenAI error envelope
(:func:`openai_error_envelope`, the same ``{"error": {...}}`` body). After the first byte an error
becomes a ``response.failed`` event whose ``response.error`` carries OpenAI's ``code``: Codex reads
``context_length_exceeded`` as "the conversation is too long" and shows other messages verbatim.
An upstream reports a failure the same two ways (``response.failed``, or a bare ``error`` event);
:func:`upstream_error_from_responses_event` reads both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coderouter_supervisor.worker.errors import ContextOverflow, ErrorKind, GatewayError, UpstreamError
from coderouter_supervisor.worker.protocol.responses_response import ResponseErrorDetail
from coderouter_supervisor.worker.protocol.upstream_errors import upstream_error_from_stream_payload

_CODE_BY_KIND: dict[ErrorKind, str] = {
    "invalid_request": "invalid_prompt",
    "rate_limit": "rate_limit_exceeded",
}

# What the shared stream-error reader needs to keep an upstream's verdict on retrying.
_ERROR_TYPE_BY_CODE = {"rate_limit_exceeded": "rate_limit_error", "server_is_overloaded": "overloaded_error"}


def responses_error_detail(error: GatewayError) -> ResponseErrorDetail:
    """The ``error`` of a failed response; the message stays the upstream's verbatim."""
    if isinstance(error, ContextOverflow):
        code = "context_length_exceeded"
    else:
        code = error.code or _CODE_BY_KIND.get(error.kind, "server_error")
    return ResponseErrorDetail(code=code, message=error.message)


def upstream_error_from_responses_event(payload: Mapping[str, Any], *, provider: str) -> UpstreamError | None:
    """The error an upstream reported in a Responses stream, or ``None`` for an ordinary event."""
    kind = payload.get("type")
    if kind == "response.failed":
        response = payload.get("response")
        detail = response.get("error") if isinstance(response, Mapping) else None
        fields = dict(detail) if isinstance(detail, Mapping) else {}
    elif kind == "error":
        fields = {key: payload[key] for key in ("code", "message", "param") if key in payload}
        if isinstance(payload.get("error"), Mapping):
            fields.update(payload["error"])
    else:
        return None
    fields.setdefault("message", "the upstream reported a failed response")
    error_type = _ERROR_TYPE_BY_CODE.get(str(fields.get("code")))
    if error_type is not None:
        fields["type"] = error_type
    return upstream_error_from_stream_payload({"error": fields}, provider=provider)
