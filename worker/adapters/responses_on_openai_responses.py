"""Responses clients served by a Responses upstream: the request and answer pass through unchanged.

Hosted tools, namespace tools, ``store``/``previous_response_id`` and OpenAI's encrypted reasoning
all reach the upstream as the client sent them; its events reach the client as it wrote them. The
gateway reads the stream only for usage, failures and whether it ended properly.
"""

from __future__ import annotations

import time
from typing import Any

from coderouter_supervisor.worker.adapters.answer_reading import parse_answer
from coderouter_supervisor.worker.adapters.event_frames import encode_named_events
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_responses_upstream import (
    OPENAI_RESPONSES_UPSTREAM,
    responses_upstream_body,
)
from coderouter_supervisor.worker.adapters.responses_client import RESPONSES, input_weight
from coderouter_supervisor.worker.adapters.stream_checks import ended_early
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.protocol import (
    ResponseObject,
    ResponsesRequest,
    encode_event,
    upstream_error_from_responses_event,
)
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall, UpstreamEvent
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    ResponsesEventWriter,
    UsageReport,
    response_id,
    usage_from_responses_event,
    without_anthropic_reasoning,
)

_ENDINGS = frozenset({"response.completed", "response.incomplete"})


class ResponsesPassthroughFrames:
    """The upstream's events relayed as they are. A failure it reports before the first byte lets the
    chain fall over; after it, the client gets ``response.failed`` for the same response id."""

    ping_frame = RESPONSES.ping_frame

    def __init__(self, provider: str, *, model: str) -> None:
        self._provider = provider
        self._model = model
        self._response_id: str | None = None
        self._sequence = -1
        self._report = NO_USAGE
        self._started = False
        self._ended = False

    @property
    def started(self) -> bool:
        return self._started

    @property
    def report(self) -> UsageReport:
        return self._report

    def feed(self, event: UpstreamEvent) -> bytes:
        payload = event.payload
        error = upstream_error_from_responses_event(payload, provider=self._provider)
        if error is not None:
            raise error
        kind = payload.get("type")
        response = payload.get("response")
        if isinstance(response, dict) and isinstance(response.get("id"), str):
            self._response_id = response["id"]
        sequence = payload.get("sequence_number")
        if isinstance(sequence, int):
            self._sequence = sequence
        usage = usage_from_responses_event(payload)
        if usage is not None:
            self._report = UsageReport(usage, final=True)
        if not isinstance(kind, str):
            return b""
        self._ended = self._ended or kind in _ENDINGS
        self._started = True
        return encode_event(kind, payload)

    def finish(self, upstream_completed: bool) -> bytes:
        return b"" if self._ended else self.fail(ended_early(self._provider))

    def fail(self, error: GatewayError) -> bytes:
        self._ended = True
        writer = ResponsesEventWriter(
            response_id=response_id(self._response_id), model=self._model, created_at=int(time.time())
        )
        events = writer.fail(error)
        if not self._started:
            return encode_named_events(events)
        # The client already has response.created from the upstream: only the failure follows, numbered on.
        failed = events[-1]
        failed.sequence_number = self._sequence + 1
        return encode_named_events([failed])


class ResponsesOnOpenAIResponses(ProtocolAdapter):
    client = RESPONSES
    upstream = OPENAI_RESPONSES_UPSTREAM
    passthrough = True

    def upstream_body(self, request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
        """Passthrough: every item and field the client sent (hosted tools, reasoning's encrypted
        content, ``store``, ``previous_response_id``) reaches an upstream that speaks the same API.
        Only Anthropic's thinking, packed into ``encrypted_content`` by this gateway, is left out: it
        would be refused there."""
        return responses_upstream_body(without_anthropic_reasoning(request).to_wire(), call)

    async def _shaped(self, request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
        return await run_step(input_weight(request), self.upstream_body, request, call)

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: ResponsesRequest, *, created: int
    ) -> dict[str, Any]:
        parse_answer(ResponseObject, payload, call.name)  # a 502 for an answer of another shape
        return payload

    def client_stream(
        self, call: ProviderCall, request: ResponsesRequest, *, input_tokens: int
    ) -> ClientStream:
        return ResponsesPassthroughFrames(call.name, model=request.model)


RESPONSES_ON_OPENAI_RESPONSES = ResponsesOnOpenAIResponses()
