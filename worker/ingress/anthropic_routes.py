"""``POST /v1/messages`` and ``POST /v1/messages/count_tokens``."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coderouter_supervisor.worker.errors import ToolLoopBroken, UpstreamError
from coderouter_supervisor.worker.gateway import gateway_of
from coderouter_supervisor.worker.ingress.body import read_body
from coderouter_supervisor.worker.ingress.dispatch import (
    authorize,
    choose_profile,
    explain_headers,
    message_count,
    plan_chain,
    route_request,
)
from coderouter_supervisor.worker.ingress.streaming import error_stream, streamed_response
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.protocol import (
    PING_FRAME,
    CountTokensRequest,
    MessagesRequest,
    encode_anthropic_stream_error,
)
from coderouter_supervisor.worker.providers import (
    ProviderCall,
    complete_anthropic,
    first_success,
    read_api_key,
    stream_anthropic,
)
from coderouter_supervisor.worker.providers.count_tokens import count_tokens_upstream
from coderouter_supervisor.worker.routing import request_has_cache_control
from coderouter_supervisor.worker.translate import estimate_tokens


async def create_message(request: Request) -> Response:
    await authorize(request)
    data, body = await read_body(request, MessagesRequest, gateway_of(request).max_body_bytes)
    try:
        routed = await route_request(
            request,
            data,
            body,
            ingress="anthropic",
            model=body.model,
            max_tokens=body.max_tokens,
            streaming=bool(body.stream),
        )
    except ToolLoopBroken as refused:
        if body.stream:
            return error_stream(refused, encode_anthropic_stream_error)
        raise
    body = routed.parsed
    http = gateway_of(request).http
    if body.stream:
        input_tokens = estimate_tokens(routed.body)
        return await streamed_response(
            first_success(
                routed.calls,
                lambda c: stream_anthropic(http, c, body, input_tokens=input_tokens),
                routed.recorder,
                usage_of=lambda _: None,
                skipped=routed.skipped,
            ),
            routed,
            ping_frame=PING_FRAME,
            error_frame=encode_anthropic_stream_error,
        )
    try:
        done, call, passed = await first_success(
            routed.calls,
            lambda c: complete_anthropic(http, c, body),
            routed.recorder,
            usage_of=lambda d: d.usage,
            skipped=routed.skipped,
        )
    finally:
        await routed.recorder.close()
    return JSONResponse(done.reply, headers=explain_headers(routed.profile, call, passed))


async def count_tokens(request: Request) -> Response:
    """Asked of the first Anthropic upstream in the chain when there is one; estimated otherwise."""
    await authorize(request)
    data, body = await read_body(request, CountTokensRequest, gateway_of(request).max_body_bytes)
    profile = choose_profile(request, data, body.model)
    markers = await run_step(message_count(data), request_has_cache_control, data)
    plan = await plan_chain(request, profile, data, "anthropic", cache_control=markers)
    if plan.attempts and plan.attempts[0].provider.kind == "anthropic":
        first = plan.attempts[0].provider
        call = ProviderCall(
            first,
            profile,
            read_api_key(first, os.environ),
            anthropic_beta=request.headers.get("anthropic-beta"),
            anthropic_version=request.headers.get("anthropic-version"),
            max_answer_bytes=gateway_of(request).max_upstream_answer_bytes,
        )
        try:
            counted = await count_tokens_upstream(gateway_of(request).http, call, body)
        except UpstreamError:
            counted = None
        if counted is not None:
            return JSONResponse({"input_tokens": counted})
    return JSONResponse({"input_tokens": estimate_tokens(data)})
