"""OpenAI clients served by an Anthropic upstream: requests, answers and streams translated."""

from __future__ import annotations

import time
from typing import Any

from coderouter_supervisor.worker.adapters.answer_reading import plain_message_usage, read_message
from coderouter_supervisor.worker.adapters.anthropic_upstream import ANTHROPIC_UPSTREAM, anthropic_system
from coderouter_supervisor.worker.adapters.delta_frames import ChatDeltaFrames
from coderouter_supervisor.worker.adapters.event_frames import encode_chunks
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_client import OPENAI
from coderouter_supervisor.worker.adapters.stream_checks import ended_early
from coderouter_supervisor.worker.adapters.upstream_kind import with_extra_body
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    DONE_FRAME,
    ChatCompletionRequest,
)
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall, UpstreamEvent
from coderouter_supervisor.worker.translate import (
    AnthropicToOpenAIStream,
    UsageReport,
    anthropic_message_to_openai,
    openai_request_to_anthropic,
    plain_message_to_completion,
    unsupported_openai_fields,
)


class AnthropicToOpenAIFrames:
    """OpenAI chunks for the client from an Anthropic upstream."""

    ping_frame = OPENAI.ping_frame

    def __init__(self, provider: ProviderConfig, *, requested_model: str, include_usage: bool) -> None:
        self._provider = provider.name
        self._stopped = False
        self._translator = AnthropicToOpenAIStream(
            model=requested_model,
            created=int(time.time()),
            provider=provider.name,
            include_usage=include_usage,
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
        if event.payload.get("type") == "message_stop":
            self._stopped = True
        return encode_chunks(self._translator.feed(event.payload))

    def finish(self, upstream_completed: bool) -> bytes:
        if not self._stopped:
            return self.fail(ended_early(self._provider))
        return encode_chunks(self._translator.finish()) + DONE_FRAME

    def fail(self, error: GatewayError) -> bytes:
        self._translator.finish_with_error(error)
        return OPENAI.stream_error_frame(error)


class OpenAIOnAnthropic(ProtocolAdapter):
    client = OPENAI
    upstream = ANTHROPIC_UPSTREAM
    dropped_reason = "no Anthropic equivalent"

    def upstream_body(self, request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
        # Fixed keys only (no profile field), and no thinking blocks: chat turns carry none to Anthropic.
        body = openai_request_to_anthropic(request, model=call.provider.model)
        if call.drop_thinking:
            body.pop("thinking", None)
        if call.system_suffix:
            body["system"] = anthropic_system(body.get("system"), call.system_suffix)
        return with_extra_body(body, call.provider)

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: ChatCompletionRequest, *, created: int
    ) -> dict[str, Any]:
        usage = plain_message_usage(payload)
        if usage is not None:
            return plain_message_to_completion(
                payload, created=created, usage=usage, filters=call.provider.output_filters
            )
        return anthropic_message_to_openai(read_message(payload, call.provider), created=created).to_wire()

    def client_stream(
        self, call: ProviderCall, request: ChatCompletionRequest, *, input_tokens: int
    ) -> ClientStream:
        return AnthropicToOpenAIFrames(
            call.provider, requested_model=request.model, include_usage=include_usage(request)
        )

    def dropped_fields(self, request: ChatCompletionRequest) -> tuple[str, ...]:
        return unsupported_openai_fields(request)


def include_usage(request: ChatCompletionRequest) -> bool:
    """Whether the client asked for usage in its stream."""
    return bool(request.stream_options and request.stream_options.include_usage)


OPENAI_ON_ANTHROPIC = OpenAIOnAnthropic()
