"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coderouter_supervisor.worker.errors import UpstreamError
from coderouter_supervisor.worker.ingress.body import read_json_object, validate_body
from coderouter_supervisor.worker.ingress.dispatch import (
    choose_profile,
    explain_headers,
    gateway_of,
    provider_calls,
)
from coderouter_supervisor.worker.ingress.streaming import streamed_response
from coderouter_supervisor.worker.protocol import (
    PING_FRAME,
    CountTokensRequest,
    MessagesRequest,
    encode_anthropic_stream_error,
)
from coderouter_supervisor.worker.providers import (
    complete_anthropic,
    first_success,
    stream_anthropic,
)
from coderouter_supervisor.worker.providers.count_tokens import count_tokens_upstream
from coderouter_supervisor.worker.translate import estimate_tokens


async def create_message(request: Request) -> Response:
    data = await read_json_object(request)
    body = validate_body(MessagesRequest, data)
    profile = choose_profile(request, data, body.model)
    calls = provider_calls(request, profile)
    http = gateway_of(request).http
    if body.stream:
        input_tokens = estimate_tokens(data)
        return await streamed_response(
            first_success(calls, lambda c: stream_anthropic(http, c, body, input_tokens=input_tokens)),
            profile,
            ping_frame=PING_FRAME,
            error_frame=encode_anthropic_stream_error,
        )
    reply, call, failures = await first_success(calls, lambda c: complete_anthropic(http, c, body))
    return JSONResponse(reply, headers=explain_headers(profile, call, failures))


async def count_tokens(request: Request) -> Response:
    """Asked of the first Anthropic upstream in the chain when there is one; estimated otherwise."""
    data = await read_json_object(request)
    body = validate_body(CountTokensRequest, data)
    profile = choose_profile(request, data, body.model)
    calls = provider_calls(request, profile)
    first = calls[0]
    if first.provider.kind == "anthropic":
        try:
            counted = await count_tokens_upstream(gateway_of(request).http, first, body)
        except UpstreamError:
            counted = None
        if counted is not None:
            return JSONResponse({"input_tokens": counted})
    return JSONResponse({"input_tokens": estimate_tokens(data)})
