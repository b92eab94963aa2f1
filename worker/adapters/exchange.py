"""One (client protocol, upstream kind) pair, and one attempt over it: build, send, read, translate.

:class:`ProtocolAdapter` is the base of the pair adapters: each says how a client request
becomes the upstream's body, how a whole upstream answer becomes the client's, and which
:class:`ClientStream` translates a stream; the base does the I/O the same way for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, TypedDict

from coderouter_supervisor.worker.adapters.client_protocol import ClientProtocol
from coderouter_supervisor.worker.adapters.upstream_kind import UpstreamKind
from coderouter_supervisor.worker.errors import GatewayError, UpstreamError, redact
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.providers import (
    PING_INTERVAL_S,
    ClientStream,
    ProviderCall,
    StreamRelay,
    UpstreamClient,
    open_stream,
    post_json,
)
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import UsageReport


@dataclass(frozen=True)
class Completion:
    """A whole answer in the client's protocol, and the usage its upstream reported (read from the
    upstream's own answer: a translated answer shows zeros where the upstream said nothing)."""

    reply: dict[str, Any]
    usage: UsageReport


class _Bounds(TypedDict):
    timeout_s: float
    provider: str
    limit: int


def _bounds(call: ProviderCall) -> _Bounds:
    """How long each upstream read may wait and how much of the answer is read, for ``call``."""
    return {"timeout_s": call.timeout_s, "provider": call.name, "limit": call.max_answer_bytes}


def _note_filters(call: ProviderCall, *, streaming: bool) -> None:
    if call.provider.output_filters:
        emit_event(
            "output-filter-applied",
            provider=call.name,
            filters=list(call.provider.output_filters),
            streaming=streaming,
        )


class ProtocolAdapter(ABC):
    """A client protocol served by an upstream kind. Subclasses are pure translation; one
    module-level instance each. ``request`` is always an instance of ``client.request_model``."""

    client: ClientProtocol
    upstream: UpstreamKind
    passthrough = False
    """Whether the client speaks the upstream's own protocol, so a request is sent as the client wrote it
    (model, profile field and ``extra_body`` aside)."""
    dropped_reason = ""
    """Why :meth:`dropped_fields` cannot go upstream (the ``reason`` of ``request-fields-dropped``)."""

    @abstractmethod
    def upstream_body(self, request: Any, call: ProviderCall) -> dict[str, Any]:
        """The body sent to ``call``'s provider, before the stream flag is set."""

    @abstractmethod
    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: Any, *, created: int
    ) -> dict[str, Any]:
        """The client's answer from the upstream's whole answer ``payload`` (``created``: the
        request's timestamp, for protocols that carry one)."""

    @abstractmethod
    def client_stream(self, call: ProviderCall, request: Any, *, input_tokens: int) -> ClientStream:
        """A fresh translator of the upstream's stream into the client's frames."""

    def dropped_fields(self, request: Any) -> tuple[str, ...]:
        """Fields of ``request`` this upstream kind cannot honour (dropped, and an event says so)."""
        return ()

    def error_body(self, error: GatewayError) -> tuple[dict[str, Any], int]:
        return self.client.error_body(error)

    async def _shaped(self, request: Any, call: ProviderCall) -> dict[str, Any]:
        """The upstream body; for a long conversation built on a thread: translating 100,000 messages
        is pure Python taking 0.6-3 s, and on a thread the event loop gets the GIL back every few
        milliseconds meanwhile."""
        return await run_step(len(request.messages), self.upstream_body, request, call)

    async def complete(
        self, http: UpstreamClient, call: ProviderCall, request: Any, *, created: int
    ) -> Completion:
        """A non-streamed answer from ``call``'s provider; raises :class:`UpstreamError`."""
        body = self.upstream.as_whole_answer(await self._shaped(request, call))
        url, headers = self.upstream.endpoint(call)
        try:
            payload = await post_json(http, url, headers, body, **_bounds(call))
        except UpstreamError as error:
            raise redact(error, call.api_key) from None
        _note_filters(call, streaming=False)
        reply = self.client_answer(payload, call, request, created=created)
        return Completion(reply, self.upstream.reported_usage(payload))

    async def stream(
        self, http: UpstreamClient, call: ProviderCall, request: Any, *, input_tokens: int
    ) -> StreamRelay:
        """A stream in the client's protocol from ``call``'s provider, primed up to its first
        content; raises :class:`UpstreamError` when it fails before that."""
        body = self.upstream.as_stream(await self._shaped(request, call))
        client = self.client_stream(call, request, input_tokens=input_tokens)
        url, headers = self.upstream.endpoint(call)
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
