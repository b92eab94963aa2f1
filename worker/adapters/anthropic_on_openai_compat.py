"""Anthropic clients served by an OpenAI-compatible upstream: requests, answers and streams translated.

Tool calls a model wrote as text become real calls when the request declared tools.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from coderouter_supervisor.worker.adapters.answer_reading import plain_completion_usage, read_completion
from coderouter_supervisor.worker.adapters.anthropic_client import ANTHROPIC
from coderouter_supervisor.worker.adapters.delta_frames import anthropic_delta_frame
from coderouter_supervisor.worker.adapters.event_frames import encode_named_events
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_compat_upstream import (
    OPENAI_COMPAT_UPSTREAM,
    openai_messages_with_suffix,
    openai_target,
)
from coderouter_supervisor.worker.adapters.stream_checks import (
    ended_early,
    filter_chain_of,
    has_finish_reason,
)
from coderouter_supervisor.worker.adapters.upstream_kind import with_extra_body
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    MessagesRequest,
)
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall, UpstreamEvent
from coderouter_supervisor.worker.translate import (
    OpenAIToAnthropicStream,
    UsageReport,
    anthropic_request_to_openai,
    openai_completion_to_anthropic,
    plain_completion_to_message,
    repair_completion,
)


def declared_tools(request: MessagesRequest) -> frozenset[str]:
    return frozenset(tool.name for tool in request.tools or [])


class OpenAIToAnthropicFrames:
    """Anthropic events for the client from an OpenAI-compatible upstream."""

    ping_frame = ANTHROPIC.ping_frame

    def __init__(
        self,
        provider: ProviderConfig,
        *,
        requested_model: str,
        input_tokens: int,
        declared_tools: Collection[str] = (),
    ) -> None:
        self._provider = provider.name
        self._translator = OpenAIToAnthropicStream(
            model=requested_model,
            provider=provider.name,
            input_tokens=input_tokens,
            text_filter=filter_chain_of(provider),
            declared_tools=declared_tools,
        )
        self._finished_choice = False

    @property
    def started(self) -> bool:
        return self._translator.started

    @property
    def report(self) -> UsageReport:
        return self._translator.report

    def feed(self, event: UpstreamEvent) -> bytes:
        continued = self._translator.continued_chunk(event.payload)
        if continued is not None:
            return anthropic_delta_frame(*continued)
        self._finished_choice = self._finished_choice or has_finish_reason(event.payload)
        return encode_named_events(self._translator.feed(event.payload))

    def finish(self, upstream_completed: bool) -> bytes:
        if not (upstream_completed or self._finished_choice):
            return self.fail(ended_early(self._provider))
        return encode_named_events(self._translator.finish())

    def fail(self, error: GatewayError) -> bytes:
        self._translator.finish_with_error(error)
        return ANTHROPIC.stream_error_frame(error)


class AnthropicOnOpenAICompat(ProtocolAdapter):
    client = ANTHROPIC
    upstream = OPENAI_COMPAT_UPSTREAM

    def upstream_body(self, request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
        body = anthropic_request_to_openai(request, openai_target(call.provider))
        body["messages"] = openai_messages_with_suffix(body["messages"], call.system_suffix)
        return with_extra_body(body, call.provider)

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: MessagesRequest, *, created: int
    ) -> dict[str, Any]:
        declared = declared_tools(request)
        plain = plain_completion_usage(payload)
        if plain is not None:
            answer = plain_completion_to_message(
                payload,
                requested_model=request.model,
                usage=plain.usage,
                declared=declared,
                filters=call.provider.output_filters,
            )
            if answer is not None:
                return answer
        completion = repair_completion(read_completion(payload, call.provider), declared)
        return openai_completion_to_anthropic(completion, requested_model=request.model).to_wire()

    def client_stream(
        self, call: ProviderCall, request: MessagesRequest, *, input_tokens: int
    ) -> ClientStream:
        return OpenAIToAnthropicFrames(
            call.provider,
            requested_model=request.model,
            input_tokens=input_tokens,
            declared_tools=declared_tools(request),
        )


ANTHROPIC_ON_OPENAI_COMPAT = AnthropicOnOpenAICompat()
