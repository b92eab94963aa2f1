"""Single diagnostic requests to one provider (for `coderouter-supervisor doctor`), outside the attempt loop.

Each sends what the gateway itself would send for the same client request: the body goes through the
same adapter's shaping (``extra_body``, the provider's model), to the same URL with the same headers
and key. Failures raise the same typed ``UpstreamError`` as a real attempt, with the provider's key cut
out of the message; nothing is retried and no event is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.adapters import passthrough_adapter
from coderouter_supervisor.worker.errors import MidStreamFailure, UpstreamError, redact
from coderouter_supervisor.worker.providers import (
    ProviderCall,
    UpstreamClient,
    get_json,
    ollama_show_url,
    open_stream,
    openai_headers,
    post_json,
)


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
    adapter = passthrough_adapter(call.provider.kind)
    body = adapter.upstream_body(adapter.client.request_model.model_validate(client_body), call)
    upstream = adapter.upstream
    url, headers = upstream.endpoint(call)
    return url, headers, upstream.as_stream(body) if stream else upstream.as_whole_answer(body)


async def probe_answer(
    http: UpstreamClient, call: ProviderCall, client_body: dict[str, Any], *, timeout_s: float
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
    http: UpstreamClient, call: ProviderCall, client_body: dict[str, Any], *, timeout_s: float
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


async def probe_models(http: UpstreamClient, call: ProviderCall, *, timeout_s: float) -> dict[str, Any]:
    """The provider's model listing (``GET /models``; ``/v1/models`` for Anthropic)."""
    url, headers = passthrough_adapter(call.provider.kind).upstream.models_endpoint(call)
    try:
        return await get_json(
            http, url, headers, timeout_s=timeout_s, provider=call.name, limit=call.max_answer_bytes
        )
    except UpstreamError as error:
        raise redact(error, call.api_key) from None


async def probe_ollama_details(
    http: UpstreamClient, call: ProviderCall, *, timeout_s: float
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
