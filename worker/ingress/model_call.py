"""The model-call routes: ``POST /v1/messages``, ``POST /v1/chat/completions`` (one handler, given
the client protocol) and ``POST /v1/messages/count_tokens``."""

from __future__ import annotations

import os
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coderouter_supervisor.worker.adapters import ANTHROPIC, UPSTREAM_KINDS, ClientProtocol, adapter_for
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
from coderouter_supervisor.worker.protocol import CountTokensRequest
from coderouter_supervisor.worker.providers import (
    ProviderCall,
    count_tokens_upstream,
    first_success,
    read_api_key,
)
from coderouter_supervisor.worker.routing import request_has_cache_control
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import estimate_tokens


async def handle_model_call(request: Request, client: ClientProtocol) -> Response:
    """A model call in ``client``'s protocol: answered whole, or streamed when the client asks."""
    await authorize(request)
    data, body = await read_body(request, client.request_model, gateway_of(request).max_body_bytes)
    streaming = client.streaming(body)
    try:
        routed = await route_request(request, data, body, client=client)
    except ToolLoopBroken as refused:
        if streaming:
            return error_stream(refused, client.stream_error_frame)
        raise
    body = routed.parsed
    http = gateway_of(request).http
    for call in routed.calls:
        dropped = adapter_for(client.name, call.provider.kind).dropped_fields(body)
        if dropped:
            emit_event("request-fields-dropped", fields=list(dropped), reason="no Anthropic equivalent")
            break
    if streaming:
        input_tokens = client.stream_input_tokens(routed.body)
        return await streamed_response(
            first_success(
                routed.calls,
                lambda c: adapter_for(client.name, c.provider.kind).stream(
                    http, c, body, input_tokens=input_tokens
                ),
                routed.recorder,
                usage_of=lambda _: None,
                skipped=routed.skipped,
            ),
            routed,
            ping_frame=client.ping_frame,
            error_frame=client.stream_error_frame,
        )
    created = int(time.time())
    try:
        done, call, passed = await first_success(
            routed.calls,
            lambda c: adapter_for(client.name, c.provider.kind).complete(http, c, body, created=created),
            routed.recorder,
            usage_of=lambda d: d.usage,
            skipped=routed.skipped,
        )
    finally:
        await routed.recorder.close()
    return JSONResponse(done.reply, headers=explain_headers(routed.profile, call, passed))


async def count_tokens(request: Request) -> Response:
    """Asked of the first upstream in the chain when it counts tokens; estimated otherwise."""
    await authorize(request)
    data, body = await read_body(request, CountTokensRequest, gateway_of(request).max_body_bytes)
    profile = choose_profile(request, data, body.model)
    markers = await run_step(message_count(data), request_has_cache_control, data)
    plan = await plan_chain(request, profile, data, ANTHROPIC, cache_control=markers)
    if plan.attempts and UPSTREAM_KINDS[plan.attempts[0].provider.kind].counts_tokens:
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
