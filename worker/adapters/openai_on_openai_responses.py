"""Chat Completions clients served by a Responses upstream: requests, answers and streams translated."""

from __future__ import annotations

import time
from typing import Any

from coderouter_supervisor.worker.adapters.answer_reading import parse_answer
from coderouter_supervisor.worker.adapters.delta_frames import ChatDeltaFrames
from coderouter_supervisor.worker.adapters.event_frames import encode_chunks
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_client import OPENAI
from coderouter_supervisor.worker.adapters.openai_on_anthropic import include_usage
from coderouter_supervisor.worker.adapters.openai_responses_upstream import (
    OPENAI_RESPONSES_UPSTREAM,
    responses_upstream_body,
)
from coderouter_supervisor.worker.adapters.plain_response import is_plain_response
from coderouter_supervisor.worker.adapters.stream_checks import ended_early
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.money import is_priced
from coderouter_supervisor.worker.protocol import (
    DONE_FRAME,
    ChatCompletionRequest,
    ResponseObject,
)
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall, UpstreamEvent
from coderouter_supervisor.worker.translate import (
    ResponsesToOpenAIStream,
    UsageReport,
    openai_output_limit,
    openai_request_to_responses,
    plain_response_to_completion,
    response_to_openai_completion,
)


class ResponsesToOpenAIFrames:
    """OpenAI chunks for the client from a Responses upstream."""

    ping_frame = OPENAI.ping_frame

    def __init__(self, provider: str, *, requested_model: str, include_usage: bool) -> None:
        self._provider = provider
        self._translator = ResponsesToOpenAIStream(
            model=requested_model, created=int(time.time()), provider=provider, include_usage=include_usage
        )
        self._deltas = ChatDeltaFrames()

    @property
    def started(self) -> bool:
        return self._translator.started

    @property
    def report(self) -> UsageReport:
        return self._translator.report

    def feed(self, event: UpstreamEvent) -> bytes:
        continued = self._translator.continued_delta(event.payload)
        if continued is not None:
            return self._deltas.frame(self._translator.chunk_identity, continued)
        return encode_chunks(self._translator.feed(event.payload))

    def finish(self, upstream_completed: bool) -> bytes:
        if not self._translator.finished:
            return self.fail(ended_early(self._provider))
        return encode_chunks(self._translator.finish()) + DONE_FRAME

    def fail(self, error: GatewayError) -> bytes:
        self._translator.finish_with_error(error)
        return OPENAI.stream_error_frame(error)


class OpenAIOnOpenAIResponses(ProtocolAdapter):
    client = OPENAI
    upstream = OPENAI_RESPONSES_UPSTREAM

    def upstream_body(self, request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
        # A priced provider is always sent the output limit its budget hold reserved for.
        limit = openai_output_limit(request) if is_priced(call.provider.cost) else None
        body = openai_request_to_responses(request, model=call.provider.model, limit_when_unset=limit)
        return responses_upstream_body(body, call)

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: ChatCompletionRequest, *, created: int
    ) -> dict[str, Any]:
        if is_plain_response(payload):
            return plain_response_to_completion(payload, requested_model=request.model)
        response = parse_answer(ResponseObject, payload, call.name)
        return response_to_openai_completion(response, requested_model=request.model).to_wire()

    def client_stream(
        self, call: ProviderCall, request: ChatCompletionRequest, *, input_tokens: int
    ) -> ClientStream:
        return ResponsesToOpenAIFrames(
            call.name, requested_model=request.model, include_usage=include_usage(request)
        )


OPENAI_ON_OPENAI_RESPONSES = OpenAIOnOpenAIResponses()
