"""Turn an upstream's stream events into the bytes the client's protocol expects.

One class per (ingress, provider kind). Each :meth:`feed` returns the frames for one
upstream event (possibly none) and raises the upstream's error when the event reports one;
:meth:`finish` closes the stream properly, or with an error frame when the upstream ended
without its terminator (a cut connection must never look like a finished answer).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Collection
from typing import Any, Protocol

from pydantic import ValidationError

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import GatewayError, MidStreamFailure
from coderouter_supervisor.worker.protocol import (
    DONE_FRAME,
    OPENAI_PING_FRAME,
    PING_FRAME,
    CompletionUsage,
    MessageDeltaUsage,
    Usage,
    encode_anthropic_stream_error,
    encode_data,
    encode_event,
    encode_openai_stream_error,
    upstream_error_from_stream_payload,
)
from coderouter_supervisor.worker.providers.transport import UpstreamEvent
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    AnthropicToOpenAIStream,
    FilterChain,
    OpenAIToAnthropicStream,
    TokenUsage,
    UsageReport,
    build_filter_chain,
    usage_from_anthropic,
    usage_from_openai,
)


class ClientStream(Protocol):
    ping_frame: bytes

    @property
    def started(self) -> bool:
        """Whether frames other than pings went to the client (failover is then impossible)."""

    @property
    def report(self) -> UsageReport:
        """What the upstream has reported about usage so far."""

    def feed(self, event: UpstreamEvent) -> bytes: ...

    def finish(self, upstream_completed: bool) -> bytes: ...

    def fail(self, error: GatewayError) -> bytes: ...


def _ended_early(provider: str) -> MidStreamFailure:
    return MidStreamFailure(f"provider {provider} ended the stream before it was complete", provider=provider)


def _has_finish_reason(payload: dict[str, Any]) -> bool:
    choices = payload.get("choices")
    return isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices)


def _filters(provider: ProviderConfig) -> FilterChain | None:
    return build_filter_chain(provider.output_filters) if provider.output_filters else None


class AnthropicFromOpenAI:
    """Anthropic events for the client from an OpenAI-compatible upstream."""

    ping_frame = PING_FRAME

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
            text_filter=_filters(provider),
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
        self._finished_choice = self._finished_choice or _has_finish_reason(event.payload)
        return b"".join(encode_event(e.type, e.to_wire()) for e in self._translator.feed(event.payload))

    def finish(self, upstream_completed: bool) -> bytes:
        if not (upstream_completed or self._finished_choice):
            return self.fail(_ended_early(self._provider))
        return b"".join(encode_event(e.type, e.to_wire()) for e in self._translator.finish())

    def fail(self, error: GatewayError) -> bytes:
        self._translator.finish_with_error(error)
        return encode_anthropic_stream_error(error)


class AnthropicFromAnthropic:
    """Anthropic events passed through, with output filters applied to text deltas."""

    ping_frame = PING_FRAME

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
        frames = self._filtered(kind, payload)
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
        if not self._filter_names:
            return encode_event(kind, payload)
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
            return self.fail(_ended_early(self._provider))
        return b""

    def fail(self, error: GatewayError) -> bytes:
        return encode_anthropic_stream_error(error)


class OpenAIFromAnthropic:
    """OpenAI chunks for the client from an Anthropic upstream."""

    ping_frame = OPENAI_PING_FRAME

    def __init__(self, provider: ProviderConfig, *, requested_model: str, include_usage: bool) -> None:
        self._provider = provider.name
        self._stopped = False
        self._translator = AnthropicToOpenAIStream(
            model=requested_model,
            created=int(time.time()),
            provider=provider.name,
            include_usage=include_usage,
        )

    @property
    def started(self) -> bool:
        return self._translator.started

    @property
    def report(self) -> UsageReport:
        return self._translator.report

    def feed(self, event: UpstreamEvent) -> bytes:
        if event.payload.get("type") == "message_stop":
            self._stopped = True
        return b"".join(encode_data(c.to_wire()) for c in self._translator.feed(event.payload))

    def finish(self, upstream_completed: bool) -> bytes:
        if not self._stopped:
            return self.fail(_ended_early(self._provider))
        return b"".join(encode_data(c.to_wire()) for c in self._translator.finish()) + DONE_FRAME

    def fail(self, error: GatewayError) -> bytes:
        self._translator.finish_with_error(error)
        return encode_openai_stream_error(error)


class OpenAIFromOpenAI:
    """OpenAI chunks passed through, with output filters applied to content deltas.

    The upstream is always asked for usage (cost needs it); a client that did not ask for it
    gets the chunks without it, as it would from the upstream directly.
    """

    ping_frame = OPENAI_PING_FRAME

    def __init__(self, provider: ProviderConfig, *, include_usage: bool) -> None:
        self._provider = provider.name
        self._include_usage = include_usage
        self._filter = _filters(provider)
        self._report = NO_USAGE
        self._started = False
        self._finished_choice = False
        self._last: dict[str, Any] = {}

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
        self._last = payload
        usage = payload.get("usage")
        if isinstance(usage, dict):
            # Final only at the end of the answer: some servers report running usage in every chunk.
            final = self._finished_choice or _has_finish_reason(payload) or payload.get("choices") == []
            with contextlib.suppress(ValidationError):  # odd usage from a server must not break the answer
                self._report = UsageReport(
                    usage_from_openai(CompletionUsage.model_validate(usage)), final=final
                )
        if not self._include_usage and "usage" in payload:
            payload = {key: value for key, value in payload.items() if key != "usage"}
            if not payload.get("choices"):
                return b""
        outgoing: dict[str, Any] | None = payload
        choices = payload.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            choice = choices[0]
            if choice.get("finish_reason"):
                self._finished_choice = True
            outgoing = self._filtered(payload, choice)
        if outgoing is None:
            return b""
        self._started = True
        return encode_data(outgoing)

    def _filtered(self, payload: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any] | None:
        delta = choice.get("delta")
        if self._filter is None or not isinstance(delta, dict) or not isinstance(delta.get("content"), str):
            return payload
        text = self._filter.feed(delta["content"])
        if choice.get("finish_reason"):
            text += self._filter.flush()
        if not text and len(delta) == 1 and not choice.get("finish_reason"):
            return None
        new_choice = {**choice, "delta": {**delta, "content": text}}
        return {**payload, "choices": [new_choice, *payload["choices"][1:]]}

    def finish(self, upstream_completed: bool) -> bytes:
        if not (upstream_completed or self._finished_choice):
            return self.fail(_ended_early(self._provider))
        rest = self._filter.flush() if self._filter is not None else ""
        if not rest:
            return DONE_FRAME
        chunk = {
            "id": self._last.get("id"),
            "object": "chat.completion.chunk",
            "created": self._last.get("created"),
            "model": self._last.get("model"),
            "choices": [{"index": 0, "delta": {"content": rest}, "finish_reason": None}],
        }
        return encode_data(chunk) + DONE_FRAME

    def fail(self, error: GatewayError) -> bytes:
        return encode_openai_stream_error(error)
