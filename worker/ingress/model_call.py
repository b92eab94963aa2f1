"""The model-call routes: ``POST /v1/messages``, ``POST /v1/chat/completions`` (one handler, given
the client protocol) and ``POST /v1/messages/count_tokens``. Each parses, asks the engine, renders."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp

from coderouter_supervisor.worker.adapters import ANTHROPIC, UPSTREAM_KINDS, ClientProtocol
from coderouter_supervisor.worker.config import ProfileConfig
from coderouter_supervisor.worker.engine import (
    Caller,
    EngineContext,
    accept_profile,
    answer_whole,
    guard_request,
    message_count,
    open_stream,
    plan_chain,
    provider_call,
    route_request,
    select_request_profile,
)
from coderouter_supervisor.worker.errors import ToolLoopBroken, UpstreamError
from coderouter_supervisor.worker.ingress.asgi_answers import json_answer
from coderouter_supervisor.worker.ingress.body import read_body, validate_body
from coderouter_supervisor.worker.ingress.caller import authorize
from coderouter_supervisor.worker.ingress.gateway import gateway_of
from coderouter_supervisor.worker.ingress.streaming import error_stream, stream_response
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.protocol import CountTokensRequest
from coderouter_supervisor.worker.providers import count_tokens_upstream
from coderouter_supervisor.worker.routing import request_has_cache_control
from coderouter_supervisor.worker.translate import estimate_tokens


async def handle_model_call(request: Request, client: ClientProtocol) -> ASGIApp:
    """A model call in ``client``'s protocol: answered whole, or streamed when the client asks."""
    caller = await authorize(request)
    gateway = gateway_of(request)
    engine = gateway.engine
    data, parsed = await read_body(request, client.request_model, gateway.max_body_bytes)
    profile = _profile(request, engine, caller, data, client.requested_model(parsed))
    try:
        guarded = await guard_request(profile, data, client)
    except ToolLoopBroken as refused:
        if client.streaming(parsed):
            return error_stream(refused, client.stream_error_frame)
        raise
    if guarded is not data:
        # Before any slot or hold is taken, so a refusal here has nothing to give back.
        parsed = validate_body(type(parsed), guarded)
    routed = await route_request(engine, caller, client, profile, guarded, parsed)
    if client.streaming(parsed):
        return stream_response(await open_stream(engine, client, routed))
    answer = await answer_whole(engine, client, routed)
    return json_answer(answer.reply, headers=answer.headers)


def _profile(
    request: Request, engine: EngineContext, caller: Caller, data: dict[str, Any], model: str | None
) -> ProfileConfig:
    choice = select_request_profile(engine, caller, data, model)
    request.state.profile = choice.profile.name  # for the headers of an error answer
    return accept_profile(caller, choice)


async def count_tokens(request: Request) -> ASGIApp:
    """Asked of the first upstream in the chain when it counts tokens; estimated otherwise."""
    caller = await authorize(request)
    gateway = gateway_of(request)
    engine = gateway.engine
    data, body = await read_body(request, CountTokensRequest, gateway.max_body_bytes)
    profile = _profile(request, engine, caller, data, body.model)
    markers = await run_step(message_count(data), request_has_cache_control, data)
    plan = await plan_chain(engine, profile, data, ANTHROPIC, cache_control=markers)
    if plan.attempts and UPSTREAM_KINDS[plan.attempts[0].provider.kind].counts_tokens:
        call = provider_call(engine, caller, profile, plan.attempts[0].provider)
        try:
            counted = await count_tokens_upstream(engine.http, call, body)
        except UpstreamError:
            counted = None
        if counted is not None:
            return json_answer({"input_tokens": counted})
    return json_answer({"input_tokens": estimate_tokens(data)})
