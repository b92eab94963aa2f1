"""Anthropic clients served by a Responses upstream: requests, answers and streams translated.

Reasoning comes back as thinking without a signature (synthesized: never sent on to Anthropic).
"""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.adapters.answer_reading import filtered_message, parse_answer
from coderouter_supervisor.worker.adapters.anthropic_client import ANTHROPIC
from coderouter_supervisor.worker.adapters.anthropic_on_openai_compat import declared_tools
from coderouter_supervisor.worker.adapters.delta_frames import anthropic_delta_frame
from coderouter_supervisor.worker.adapters.event_frames import encode_named_events
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_responses_upstream import (
    OPENAI_RESPONSES_UPSTREAM,
    responses_upstream_body,
)
from coderouter_supervisor.worker.adapters.plain_response import is_plain_response
from coderouter_supervisor.worker.adapters.stream_checks import ended_early, filter_chain_of
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import MessagesRequest, ResponseObject
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall, UpstreamEvent
from coderouter_supervisor.worker.translate import (
    ResponsesToAnthropicStream,
    UsageReport,
    anthropic_request_to_responses,
    plain_response_to_message,
    response_to_anthropic_message,
)


class ResponsesToAnthropicFrames:
    """Anthropic events for the client from a Responses upstream."""

    ping_frame = ANTHROPIC.ping_frame

    def __init__(self, call: ProviderCall, request: MessagesRequest, *, input_tokens: int) -> None:
        self._provider = call.name
        self._stopped = False
        self._translator = ResponsesToAnthropicStream(
            model=request.model,
            provider=call.name,
            input_tokens=input_tokens,
            text_filter=filter_chain_of(call.provider),
            declared_tools=declared_tools(request),
        )

    @property
    def started(self) -> bool:
        return self._translator.started

    @property
    def report(self) -> UsageReport:
        return self._translator.report

    def _encoded(self, events: list[Any]) -> bytes:
        self._stopped = self._stopped or any(e.type == "message_stop" for e in events)
        return encode_named_events(events)

    def feed(self, event: UpstreamEvent) -> bytes:
        continued = self._translator.continued_delta(event.payload)
        if continued is not None:
            return anthropic_delta_frame(*continued)
        return self._encoded(self._translator.feed(event.payload))

    def finish(self, upstream_completed: bool) -> bytes:
        if not self._stopped:
            return self.fail(ended_early(self._provider))
        return b""

    def fail(self, error: GatewayError) -> bytes:
        self._translator.finish_with_error(error)
        return ANTHROPIC.stream_error_frame(error)


class AnthropicOnOpenAIResponses(ProtocolAdapter):
    client = ANTHROPIC
    upstream = OPENAI_RESPONSES_UPSTREAM

    def upstream_body(self, request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
        return responses_upstream_body(
            anthropic_request_to_responses(request, model=call.provider.model), call
        )

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: MessagesRequest, *, created: int
    ) -> dict[str, Any]:
        if is_plain_response(payload):
            return plain_response_to_message(
                payload, requested_model=request.model, filters=call.provider.output_filters
            )
        response = parse_answer(ResponseObject, payload, call.name)
        message = response_to_anthropic_message(response, requested_model=request.model)
        return filtered_message(message, call.provider).to_wire()

    def client_stream(
        self, call: ProviderCall, request: MessagesRequest, *, input_tokens: int
    ) -> ClientStream:
        return ResponsesToAnthropicFrames(call, request, input_tokens=input_tokens)


ANTHROPIC_ON_OPENAI_RESPONSES = AnthropicOnOpenAIResponses()
