"""``POST /v1/chat/completions``."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coderouter_supervisor.worker.errors import ToolLoopBroken
from coderouter_supervisor.worker.gateway import gateway_of
from coderouter_supervisor.worker.ingress.body import read_body
from coderouter_supervisor.worker.ingress.dispatch import (
    authorize,
    explain_headers,
    route_request,
)
from coderouter_supervisor.worker.ingress.streaming import error_stream, streamed_response
from coderouter_supervisor.worker.protocol import (
    OPENAI_PING_FRAME,
    ChatCompletionRequest,
    encode_openai_stream_error,
)
from coderouter_supervisor.worker.providers import complete_openai, first_success, stream_openai
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import openai_output_limit, unsupported_openai_fields


async def create_chat_completion(request: Request) -> Response:
    await authorize(request)
    data, body = await read_body(request, ChatCompletionRequest, gateway_of(request).max_body_bytes)
    try:
        routed = await route_request(
            request,
            data,
            body,
            ingress="openai",
            model=body.model,
            max_tokens=openai_output_limit(body),
            streaming=bool(body.stream),
            choices=body.n or 1,
        )
    except ToolLoopBroken as refused:
        if body.stream:
            return error_stream(refused, encode_openai_stream_error)
        raise
    body = routed.parsed
    http = gateway_of(request).http
    if any(call.provider.kind == "anthropic" for call in routed.calls):
        dropped = unsupported_openai_fields(body)
        if dropped:
            emit_event("request-fields-dropped", fields=list(dropped), reason="no Anthropic equivalent")
    if body.stream:
        return await streamed_response(
            first_success(
                routed.calls,
                lambda c: stream_openai(http, c, body),
                routed.recorder,
                usage_of=lambda _: None,
                skipped=routed.skipped,
            ),
            routed,
            ping_frame=OPENAI_PING_FRAME,
            error_frame=encode_openai_stream_error,
        )
    created = int(time.time())
    try:
        done, call, passed = await first_success(
            routed.calls,
            lambda c: complete_openai(http, c, body, created=created),
            routed.recorder,
            usage_of=lambda d: d.usage,
            skipped=routed.skipped,
        )
    finally:
        await routed.recorder.close()
    return JSONResponse(done.reply, headers=explain_headers(routed.profile, call, passed))
