"""Anthropic clients served by an Anthropic upstream: passthrough, output filters applied."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.adapters.answer_reading import message_as_answered
from coderouter_supervisor.worker.adapters.anthropic_client import ANTHROPIC
from coderouter_supervisor.worker.adapters.anthropic_upstream import ANTHROPIC_UPSTREAM, anthropic_system
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.stream_checks import ended_early
from coderouter_supervisor.worker.adapters.upstream_kind import PROFILE_FIELD, with_extra_body
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    MessageDeltaUsage,
    MessagesRequest,
    Usage,
    encode_event,
    encode_event_text,
    encode_json,
    upstream_error_from_stream_payload,
)
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall, UpstreamEvent
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    FilterChain,
    TokenUsage,
    UsageReport,
    build_filter_chain,
    strip_unsigned_thinking,
    usage_from_anthropic,
)


class AnthropicToAnthropicFrames:
    """Anthropic events passed through, with output filters applied to text deltas."""

    ping_frame = ANTHROPIC.ping_frame

    def __init__(self, provider: ProviderConfig) -> None:
        self._provider = provider.name
        self._filter_names = provider.output_filters
        self._filters: dict[int, FilterChain] = {}
        self._report = NO_USAGE
        self._started = False
        self._stopped = False

    @property
    def started(self) -> bool:
        return self._started

    @property
    def report(self) -> UsageReport:
        return self._report

    def feed(self, event: UpstreamEvent) -> bytes:
        payload = event.payload
        error = upstream_error_from_stream_payload(payload, provider=self._provider)
        if error is not None:
            raise error
        kind = payload.get("type") or event.name
        if not isinstance(kind, str):
            return b""
        if self._filter_names:
            frames = self._filtered(kind, payload)
        else:  # a plain passthrough: the upstream's own text, not a second serialisation
            frames = encode_event_text(kind, event.data or encode_json(payload))
        if kind == "message_start":
            self._track_start(payload)
        elif kind == "message_delta":
            self._track_delta(payload)
        elif kind == "message_stop":
            self._stopped = True
        if kind != "ping":
            self._started = True
        return frames

    def _filtered(self, kind: str, payload: dict[str, Any]) -> bytes:
        index = payload.get("index")
        if kind == "content_block_delta" and isinstance(index, int):
            delta = payload.get("delta") or {}
            if delta.get("type") == "text_delta":
                chain = self._filters.setdefault(index, build_filter_chain(self._filter_names))
                text = chain.feed(str(delta.get("text", "")))
                if not text:
                    return b""
                return encode_event(kind, {**payload, "delta": {**delta, "text": text}})
        if kind == "content_block_stop" and isinstance(index, int) and index in self._filters:
            rest = self._filters.pop(index).flush()
            flushed = b""
            if rest:
                delta = {"type": "text_delta", "text": rest}
                flushed = encode_event(
                    "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
                )
            return flushed + encode_event(kind, payload)
        return encode_event(kind, payload)

    def _track_start(self, payload: dict[str, Any]) -> None:
        usage = (payload.get("message") or {}).get("usage")
        if isinstance(usage, dict):
            with contextlib.suppress(ValidationError):
                self._report = UsageReport(usage_from_anthropic(Usage.model_validate(usage)))

    def _track_delta(self, payload: dict[str, Any]) -> None:
        usage = payload.get("usage")
        if not isinstance(usage, dict):
            return
        try:
            delta = usage_from_anthropic(MessageDeltaUsage.model_validate(usage))
        except ValidationError:
            return
        start = self._report.usage or TokenUsage()
        final = TokenUsage(
            input_tokens=delta.input_tokens or start.input_tokens,
            output_tokens=delta.output_tokens,
            cache_read_tokens=delta.cache_read_tokens or start.cache_read_tokens,
            cache_creation_tokens=delta.cache_creation_tokens or start.cache_creation_tokens,
        )
        self._report = UsageReport(final, final=True)

    def finish(self, upstream_completed: bool) -> bytes:
        if not self._stopped:
            return self.fail(ended_early(self._provider))
        return b""

    def fail(self, error: GatewayError) -> bytes:
        return ANTHROPIC.stream_error_frame(error)


class AnthropicOnAnthropic(ProtocolAdapter):
    client = ANTHROPIC
    upstream = ANTHROPIC_UPSTREAM
    passthrough = True

    def upstream_body(self, request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
        """Passthrough: unknown fields and betas go along verbatim; synthesized thinking does not."""
        body = strip_unsigned_thinking(request).to_wire()
        body.pop(PROFILE_FIELD, None)
        if call.drop_thinking:
            body.pop("thinking", None)
        body["model"] = call.provider.model
        if call.system_suffix:
            body["system"] = anthropic_system(body.get("system"), call.system_suffix)
        return with_extra_body(body, call.provider)

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: MessagesRequest, *, created: int
    ) -> dict[str, Any]:
        return message_as_answered(payload, call.provider)

    def client_stream(
        self, call: ProviderCall, request: MessagesRequest, *, input_tokens: int
    ) -> ClientStream:
        return AnthropicToAnthropicFrames(call.provider)


ANTHROPIC_ON_ANTHROPIC = AnthropicOnAnthropic()
