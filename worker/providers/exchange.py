"""One attempt on one provider for either ingress: build, send, read, translate."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

import httpx
from pydantic import ValidationError

from coderouter_supervisor.worker.errors import UpstreamError, redact
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.protocol import (
    ChatCompletionRequest,
    CompletionUsage,
    MessagesRequest,
    Usage,
)
from coderouter_supervisor.worker.providers import inbound, outbound
from coderouter_supervisor.worker.providers.call import ProviderCall
from coderouter_supervisor.worker.providers.client_streams import (
    AnthropicFromAnthropic,
    AnthropicFromOpenAI,
    ClientStream,
    OpenAIFromAnthropic,
    OpenAIFromOpenAI,
)
from coderouter_supervisor.worker.providers.endpoints import (
    anthropic_headers,
    anthropic_messages_url,
    openai_chat_url,
    openai_headers,
)
from coderouter_supervisor.worker.providers.relay import PING_INTERVAL_S, StreamRelay
from coderouter_supervisor.worker.providers.transport import open_stream, post_json
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    UsageReport,
    usage_from_anthropic,
    usage_from_openai,
)


@dataclass(frozen=True)
class Completion:
    """A whole answer in the client's protocol, and the usage its upstream reported (read from the
    upstream's own answer: a translated answer shows zeros where the upstream said nothing)."""

    reply: dict[str, Any]
    usage: UsageReport


def _reported_usage(payload: dict[str, Any], call: ProviderCall) -> UsageReport:
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return NO_USAGE
    with contextlib.suppress(ValidationError):
        if call.provider.kind == "anthropic":
            return UsageReport(usage_from_anthropic(Usage.model_validate(usage)), final=True)
        return UsageReport(usage_from_openai(CompletionUsage.model_validate(usage)), final=True)
    return NO_USAGE


def _declared_tools_anthropic(request: MessagesRequest) -> frozenset[str]:
    return frozenset(tool.name for tool in request.tools or [])


def _declared_tools_openai(request: ChatCompletionRequest) -> frozenset[str]:
    return frozenset(tool.function.name for tool in request.tools or [])


def _note_filters(call: ProviderCall, *, streaming: bool) -> None:
    if call.provider.output_filters:
        emit_event(
            "output-filter-applied",
            provider=call.name,
            filters=list(call.provider.output_filters),
            streaming=streaming,
        )


def _endpoint(call: ProviderCall) -> tuple[str, dict[str, str]]:
    provider = call.provider
    if provider.kind == "anthropic":
        return anthropic_messages_url(provider.base_url), anthropic_headers(call)
    return openai_chat_url(provider.base_url), openai_headers(call)


R = TypeVar("R", MessagesRequest, ChatCompletionRequest)


async def _shaped(
    shape: Callable[[R, ProviderCall], dict[str, Any]], request: R, call: ProviderCall
) -> dict[str, Any]:
    """The upstream body; for a long conversation built on a thread: translating 100,000 messages is
    pure Python taking 0.6-3 s, and on a thread the event loop gets the GIL back every few
    milliseconds meanwhile."""
    return await run_step(len(request.messages), shape, request, call)


class _Bounds(TypedDict):
    timeout_s: float
    provider: str
    limit: int


def _bounds(call: ProviderCall) -> _Bounds:
    """How long each upstream read may wait and how much of the answer is read, for ``call``."""
    return {"timeout_s": call.timeout_s, "provider": call.name, "limit": call.max_answer_bytes}


async def _post(http: httpx.AsyncClient, call: ProviderCall, body: dict[str, Any]) -> dict[str, Any]:
    url, headers = _endpoint(call)
    try:
        payload = await post_json(http, url, headers, body, **_bounds(call))
    except UpstreamError as error:
        raise redact(error, call.api_key) from None
    _note_filters(call, streaming=False)
    return payload


async def _relay(
    http: httpx.AsyncClient, call: ProviderCall, body: dict[str, Any], client: ClientStream
) -> StreamRelay:
    url, headers = _endpoint(call)
    try:
        upstream = await open_stream(http, url, headers, body, **_bounds(call))
        _note_filters(call, streaming=True)
        relay = StreamRelay(upstream, client, call.name, secret=call.api_key)
        if call.first_token_timeout_s is None:
            await relay.prime(PING_INTERVAL_S)
        else:
            await relay.prime(call.first_token_timeout_s, require_content=True)
    except UpstreamError as error:
        raise redact(error, call.api_key) from None
    return relay


async def complete_anthropic(
    http: httpx.AsyncClient, call: ProviderCall, request: MessagesRequest
) -> Completion:
    """A non-streamed Anthropic answer from ``call``'s provider."""
    provider = call.provider
    if provider.kind == "anthropic":
        body = {**await _shaped(outbound.anthropic_to_anthropic, request, call), "stream": False}
        payload = await _post(http, call, body)
        return Completion(inbound.anthropic_from_anthropic(payload, provider), _reported_usage(payload, call))
    body = {**await _shaped(outbound.anthropic_to_openai, request, call), "stream": False}
    body.pop("stream_options", None)
    payload = await _post(http, call, body)
    reply = inbound.anthropic_from_openai(
        payload, provider, requested_model=request.model, declared_tools=_declared_tools_anthropic(request)
    )
    return Completion(reply, _reported_usage(payload, call))


async def stream_anthropic(
    http: httpx.AsyncClient, call: ProviderCall, request: MessagesRequest, *, input_tokens: int
) -> StreamRelay:
    """An Anthropic event stream from ``call``'s provider, primed up to its first content."""
    provider = call.provider
    client: ClientStream
    if provider.kind == "anthropic":
        body = {**await _shaped(outbound.anthropic_to_anthropic, request, call), "stream": True}
        client = AnthropicFromAnthropic(provider)
    else:
        body = {**await _shaped(outbound.anthropic_to_openai, request, call), "stream": True}
        body["stream_options"] = {"include_usage": True}
        client = AnthropicFromOpenAI(
            provider,
            requested_model=request.model,
            input_tokens=input_tokens,
            declared_tools=_declared_tools_anthropic(request),
        )
    return await _relay(http, call, body, client)


async def complete_openai(
    http: httpx.AsyncClient, call: ProviderCall, request: ChatCompletionRequest, *, created: int
) -> Completion:
    """A non-streamed OpenAI answer from ``call``'s provider."""
    provider = call.provider
    if provider.kind == "anthropic":
        body = {**await _shaped(outbound.openai_to_anthropic, request, call), "stream": False}
        payload = await _post(http, call, body)
        return Completion(
            inbound.openai_from_anthropic(payload, provider, created=created), _reported_usage(payload, call)
        )
    body = {**await _shaped(outbound.openai_to_openai, request, call), "stream": False}
    body.pop("stream_options", None)
    payload = await _post(http, call, body)
    reply = inbound.openai_from_openai(payload, provider, declared_tools=_declared_tools_openai(request))
    return Completion(reply, _reported_usage(payload, call))


async def stream_openai(
    http: httpx.AsyncClient, call: ProviderCall, request: ChatCompletionRequest
) -> StreamRelay:
    """An OpenAI chunk stream from ``call``'s provider, primed up to its first content."""
    provider = call.provider
    include_usage = bool(request.stream_options and request.stream_options.include_usage)
    client: ClientStream
    if provider.kind == "anthropic":
        body = {**await _shaped(outbound.openai_to_anthropic, request, call), "stream": True}
        client = OpenAIFromAnthropic(provider, requested_model=request.model, include_usage=include_usage)
    else:
        body = {**await _shaped(outbound.openai_to_openai, request, call), "stream": True}
        body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        client = OpenAIFromOpenAI(provider, include_usage=include_usage)
    return await _relay(http, call, body, client)
