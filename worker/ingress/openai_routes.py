"""``POST /v1/chat/completions``."""

from __future__ import annotations

import time
from typing import Any

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
    CompletionUsage,
    encode_openai_stream_error,
)
from coderouter_supervisor.worker.providers import complete_openai, first_success, stream_openai
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import (
    DEFAULT_MAX_TOKENS,
    TokenUsage,
    unsupported_openai_fields,
    usage_from_openai,
)


def _reply_usage(reply: dict[str, Any]) -> TokenUsage | None:
    usage = reply.get("usage")
    return usage_from_openai(CompletionUsage.model_validate(usage)) if isinstance(usage, dict) else None


async def create_chat_completion(request: Request) -> Response:
    await authorize(request)
    data, body = await read_body(request, ChatCompletionRequest, gateway_of(request).max_body_bytes)
    # Without a limit from the client, budget holds assume the most a translated request may ask for.
    max_tokens = body.max_completion_tokens or body.max_tokens or DEFAULT_MAX_TOKENS
    try:
        routed = await route_request(
            request,
            data,
            body,
            ingress="openai",
            model=body.model,
            max_tokens=max_tokens,
            streaming=bool(body.stream),
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
        reply, call, passed = await first_success(
            routed.calls,
            lambda c: complete_openai(http, c, body, created=created),
            routed.recorder,
            usage_of=_reply_usage,
            skipped=routed.skipped,
        )
    finally:
        await routed.recorder.close()
    return JSONResponse(reply, headers=explain_headers(routed.profile, call, passed))
