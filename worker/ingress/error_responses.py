"""Every error answer, rendered once per protocol: the :class:`GatewayError` envelope, and the
refusals and bug report the dispatcher (:mod:`.dispatch`) answers with."""

from __future__ import annotations

from starlette.requests import Request

from coderouter_supervisor.worker.adapters import ClientProtocol
from coderouter_supervisor.worker.errors import (
    GatewayError,
    InvalidRequest,
    NoProviderLeft,
    NotFound,
    choose_reported_error,
)
from coderouter_supervisor.worker.ingress.asgi_answers import JsonAnswer, json_answer
from coderouter_supervisor.worker.ingress.protocols import ingress_of
from coderouter_supervisor.worker.protocol import error_headers
from coderouter_supervisor.worker.telemetry import emit_event


def error_response(error: GatewayError, client: ClientProtocol, *, profile: str | None = None) -> JsonAnswer:
    """``error`` in ``client``'s envelope. Once a profile was chosen the answer names it, and a chain
    that was exhausted is listed whole (skips included), as a successful answer would list it."""
    explain: dict[str, str] = {}
    if profile is not None:
        explain["x-coderouter-profile"] = profile
    if isinstance(error, NoProviderLeft):
        if error.chain:
            explain["x-coderouter-fallback-chain"] = ", ".join(error.chain)
        error = choose_reported_error(error)
    envelope, status = client.error_body(error)
    return json_answer(envelope, status, {**error_headers(error), **explain})


def gateway_error_response(request: Request, error: GatewayError) -> JsonAnswer:
    """``error``, raised while serving ``request``, in the caller's envelope."""
    return error_response(error, ingress_of(request), profile=getattr(request.state, "profile", None))


def no_route_response(request: Request) -> JsonAnswer:
    """404 for a path no route serves."""
    return error_response(NotFound(f"no route for {request.method} {request.url.path}"), ingress_of(request))


def method_not_allowed_response(request: Request, allow: str) -> JsonAnswer:
    """405 for a path served only for other methods; ``allow`` lists them."""
    error = InvalidRequest(f"method {request.method} is not allowed on {request.url.path}")
    error.status = 405
    answer = error_response(error, ingress_of(request))
    answer.headers.append((b"allow", allow.encode("latin-1")))
    return answer


def internal_error_response(request: Request, exc: Exception) -> JsonAnswer:
    """A bug of ours: log it, answer in the protocol's shape, keep the worker alive."""
    emit_event("internal-error", "error", path=request.url.path, error=f"{type(exc).__name__}: {exc}")
    return error_response(GatewayError("internal error in the gateway"), ingress_of(request))
