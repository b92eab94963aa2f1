"""``POST /v1/chat/completions``."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coderouter_supervisor.worker.ingress.body import read_json_object, validate_body
from coderouter_supervisor.worker.ingress.dispatch import (
    choose_profile,
    explain_headers,
    gateway_of,
    provider_calls,
)
from coderouter_supervisor.worker.ingress.streaming import streamed_response
from coderouter_supervisor.worker.protocol import (
    OPENAI_PING_FRAME,
    ChatCompletionRequest,
    encode_openai_stream_error,
)
from coderouter_supervisor.worker.providers import complete_openai, first_success, stream_openai
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import unsupported_openai_fields


async def create_chat_completion(request: Request) -> Response:
    data = await read_json_object(request)
    body = validate_body(ChatCompletionRequest, data)
    profile = choose_profile(request, data, body.model)
    calls = provider_calls(request, profile)
    http = gateway_of(request).http
    if any(call.provider.kind == "anthropic" for call in calls):
        dropped = unsupported_openai_fields(body)
        if dropped:
            emit_event("request-fields-dropped", fields=list(dropped), reason="no Anthropic equivalent")
    if body.stream:
        return await streamed_response(
            first_success(calls, lambda c: stream_openai(http, c, body)),
            profile,
            ping_frame=OPENAI_PING_FRAME,
            error_frame=encode_openai_stream_error,
        )
    created = int(time.time())
    reply, call, failures = await first_success(
        calls, lambda c: complete_openai(http, c, body, created=created)
    )
    return JSONResponse(reply, headers=explain_headers(profile, call, failures))
