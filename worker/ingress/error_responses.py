"""Every error answer, rendered once per protocol and registered as Starlette handlers."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coderouter_supervisor.worker.adapters import ClientProtocol
from coderouter_supervisor.worker.errors import (
    GatewayError,
    InvalidRequest,
    NoProviderLeft,
    NotFound,
    choose_reported_error,
)
from coderouter_supervisor.worker.ingress.protocols import ingress_of
from coderouter_supervisor.worker.protocol import error_headers
from coderouter_supervisor.worker.telemetry import emit_event


def error_response(
    error: GatewayError, client: ClientProtocol, *, profile: str | None = None
) -> JSONResponse:
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
    return JSONResponse(envelope, status_code=status, headers={**error_headers(error), **explain})


async def handle_gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    return error_response(exc, ingress_of(request), profile=getattr(request.state, "profile", None))


class _HTTPStatusError(GatewayError):
    """An HTTP-level refusal from the router (unknown path, wrong method)."""


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: GatewayError
    if exc.status_code == 404:
        error = NotFound(f"no route for {request.method} {request.url.path}")
    elif exc.status_code == 405:
        error = InvalidRequest(f"method {request.method} is not allowed on {request.url.path}")
        error.status = 405
    else:
        error = _HTTPStatusError(str(exc.detail))
        error.status = exc.status_code
    response = error_response(error, ingress_of(request))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """A bug of ours: log it, answer in the protocol's shape, keep the worker alive."""
    emit_event("internal-error", "error", path=request.url.path, error=f"{type(exc).__name__}: {exc}")
    return error_response(GatewayError("internal error in the gateway"), ingress_of(request))


EXCEPTION_HANDLERS = {
    GatewayError: handle_gateway_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
