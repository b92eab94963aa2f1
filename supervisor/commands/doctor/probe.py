"""Single diagnostic requests to one provider (for `coderouter-supervisor doctor`), outside the attempt loop.

Each sends what the gateway itself would send for the same client request: the body goes through the
same ``outbound`` shaping (``extra_body``, the provider's model), to the same URL with the same headers
and key. Failures raise the same typed ``UpstreamError`` as a real attempt, with the provider's key cut
out of the message; nothing is retried and no event is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from coderouter_supervisor.worker.errors import MidStreamFailure, UpstreamError, redact
from coderouter_supervisor.worker.protocol import ChatCompletionRequest, MessagesRequest
from coderouter_supervisor.worker.providers import outbound
from coderouter_supervisor.worker.providers.call import ProviderCall
from coderouter_supervisor.worker.providers.endpoints import (
    anthropic_headers,
    anthropic_messages_url,
    anthropic_models_url,
    ollama_show_url,
    openai_chat_url,
    openai_headers,
    openai_models_url,
)
from coderouter_supervisor.worker.providers.transport import get_json, open_stream, post_json


@dataclass(frozen=True)
class StreamedEvents:
    """The JSON payloads a stream carried, in order; ``broke_off`` when it ended in a failure."""

    payloads: tuple[dict[str, Any], ...]
    saw_done: bool
    broke_off: MidStreamFailure | None = None


def _request(
    call: ProviderCall, client_body: dict[str, Any], stream: bool
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """URL, headers and body for ``client_body``, a request in the provider's own protocol."""
    provider = call.provider
    if provider.kind == "anthropic":
        body = outbound.anthropic_to_anthropic(MessagesRequest.model_validate(client_body), call)
        return anthropic_messages_url(provider.base_url), anthropic_headers(call), {**body, "stream": stream}
    body = {
        **outbound.openai_to_openai(ChatCompletionRequest.model_validate(client_body), call),
        "stream": stream,
    }
    if stream:
        body["stream_options"] = {"include_usage": True}
    else:
        body.pop("stream_options", None)
    return openai_chat_url(provider.base_url), openai_headers(call), body


async def probe_answer(
    http: httpx.AsyncClient, call: ProviderCall, client_body: dict[str, Any], *, timeout_s: float
) -> dict[str, Any]:
    """The provider's raw JSON answer to ``client_body`` (not translated, so its own field names show)."""
    url, headers, body = _request(call, client_body, stream=False)
    try:
        return await post_json(
            http, url, headers, body, timeout_s=timeout_s, provider=call.name, limit=call.max_answer_bytes
        )
    except UpstreamError as error:
        raise redact(error, call.api_key) from None


async def probe_stream(
    http: httpx.AsyncClient, call: ProviderCall, client_body: dict[str, Any], *, timeout_s: float
) -> StreamedEvents:
    """Every event of the streamed answer; a stream that breaks off returns what came before it."""
    url, headers, body = _request(call, client_body, stream=True)
    payloads: list[dict[str, Any]] = []
    try:
        upstream = await open_stream(
            http, url, headers, body, timeout_s=timeout_s, provider=call.name, limit=call.max_answer_bytes
        )
    except UpstreamError as error:
        raise redact(error, call.api_key) from None
    try:
        async for event in upstream.events():
            payloads.append(event.payload)
    except MidStreamFailure as error:
        redact(error, call.api_key)
        return StreamedEvents(tuple(payloads), upstream.saw_done, broke_off=error)
    return StreamedEvents(tuple(payloads), upstream.saw_done)


async def probe_models(http: httpx.AsyncClient, call: ProviderCall, *, timeout_s: float) -> dict[str, Any]:
    """The provider's model listing (``GET /models``; ``/v1/models`` for Anthropic)."""
    provider = call.provider
    if provider.kind == "anthropic":
        url, headers = anthropic_models_url(provider.base_url), anthropic_headers(call)
    else:
        url, headers = openai_models_url(provider.base_url), openai_headers(call)
    try:
        return await get_json(
            http, url, headers, timeout_s=timeout_s, provider=call.name, limit=call.max_answer_bytes
        )
    except UpstreamError as error:
        raise redact(error, call.api_key) from None


async def probe_ollama_details(
    http: httpx.AsyncClient, call: ProviderCall, *, timeout_s: float
) -> dict[str, Any]:
    """Ollama's ``/api/show`` for the provider's model (its context length); other servers answer 404."""
    url = ollama_show_url(call.provider.base_url)
    body = {"model": call.provider.model}
    try:
        return await post_json(
            http,
            url,
            openai_headers(call),
            body,
            timeout_s=timeout_s,
            provider=call.name,
            limit=call.max_answer_bytes,
        )
    except UpstreamError as error:
        raise redact(error, call.api_key) from None
