"""Anthropic stream events -> Responses events, as a pure state machine.

Blocks map onto output items: thinking -> a ``reasoning`` item (its text as the summary; a signed
block, or a redacted one, also packed in ``encrypted_content`` for the next turn, see
:mod:`anthropic_reasoning`); text -> a ``message`` item (consecutive text blocks share one);
``tool_use`` -> a ``function_call`` item named back to the client's namespace and name, closed
with the block. Server-tool blocks have no Responses form and are skipped. Nothing is emitted
before the first content (or the end), so a failure before it can still move to another
provider. ``message_delta``'s ``stop_reason`` decides ``response.completed`` or
``response.incomplete``; usage is the upstream's, merged as in ``stream_anthropic_to_openai``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    ContentBlock,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageDeltaUsage,
    MessageStartEvent,
    MessageStopEvent,
    RedactedThinkingBlock,
    ResponsesEvent,
    SignatureDelta,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    upstream_error_from_stream_payload,
)
from coderouter_supervisor.worker.translate.anthropic_event_reading import (
    plain_block_delta,
    read_stream_event,
)
from coderouter_supervisor.worker.translate.anthropic_reasoning import pack_thinking
from coderouter_supervisor.worker.translate.ids import tool_call_id
from coderouter_supervisor.worker.translate.responses_event_writer import (
    IncompleteReason,
    ResponseEcho,
    ResponsesEventWriter,
)
from coderouter_supervisor.worker.translate.responses_ids import response_id
from coderouter_supervisor.worker.translate.responses_item_events import ResponsesDelta
from coderouter_supervisor.worker.translate.responses_tools import ToolNames
from coderouter_supervisor.worker.translate.text_filter import TextFilter
from coderouter_supervisor.worker.translate.usage import TokenUsage, UsageReport, usage_from_anthropic

_INCOMPLETE_BY_STOP: dict[str, IncompleteReason] = {
    "max_tokens": "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    "refusal": "content_filter",
}


def incomplete_reason(stop_reason: str | None) -> IncompleteReason | None:
    """Why a response with this Anthropic ``stop_reason`` is ``incomplete`` (None: it completed)."""
    return _INCOMPLETE_BY_STOP.get(stop_reason or "")


def merged_usage(current: TokenUsage, reported: MessageDeltaUsage) -> TokenUsage:
    """``message_delta`` usage over ``message_start``'s: output is cumulative, input only when restated."""
    return TokenUsage(
        input_tokens=current.input_tokens if reported.input_tokens is None else reported.input_tokens,
        output_tokens=reported.output_tokens,
        cache_read_tokens=(
            current.cache_read_tokens
            if reported.cache_read_input_tokens is None
            else reported.cache_read_input_tokens
        ),
        cache_creation_tokens=(
            current.cache_creation_tokens
            if reported.cache_creation_input_tokens is None
            else reported.cache_creation_input_tokens
        ),
        reasoning_tokens=current.reasoning_tokens,
    )


@dataclass
class _Thinking:
    """The open thinking block: its text and signature are packed for the client when it ends."""

    index: int
    text: list[str]
    signature: str


class AnthropicToResponsesStream:
    """Feed parsed Anthropic events (dicts), get Responses events; one instance per stream.

    ``created_at`` is the caller's clock (Unix seconds); ``tool_names`` maps flattened tool names
    back to the client's; ``text_filter`` (output filters) rewrites the answer's text. After
    :meth:`finish` or :meth:`finish_with_error` every call returns ``[]``.
    """

    def __init__(
        self,
        *,
        model: str,
        provider: str,
        created_at: int,
        tool_names: ToolNames | None = None,
        echo: ResponseEcho | None = None,
        response_id: str | None = None,
        text_filter: TextFilter | None = None,
    ) -> None:
        self._model = model
        self._filter = text_filter
        self._provider = provider
        self._created_at = created_at
        self._names = tool_names or ToolNames()
        self._echo = echo
        self._response_id = response_id
        self._writer: ResponsesEventWriter | None = None
        self._tool_block: int | None = None
        self._thinking: _Thinking | None = None
        self._stop_reason: str | None = None
        self._usage = TokenUsage()
        self._usage_seen = False
        self._usage_final = False
        self.skipped_events = 0

    @property
    def started(self) -> bool:
        """Whether any event was produced (after that, failing over is no longer possible)."""
        return self._writer is not None and self._writer.started

    @property
    def usage(self) -> TokenUsage:
        return self._usage

    @property
    def report(self) -> UsageReport:
        """What the upstream reported: input from ``message_start``, final with ``message_delta``."""
        return UsageReport(self._usage if self._usage_seen else None, final=self._usage_final)

    def feed(self, event: Mapping[str, Any]) -> list[ResponsesEvent]:
        """Events for one upstream event (often none).

        Raises the matching ``UpstreamError`` for an ``error`` event; end the stream with
        :meth:`finish_with_error` then (or fail over if nothing was started).
        """
        if self._writer is not None and self._writer.finished:
            return []
        error = upstream_error_from_stream_payload(event, provider=self._provider)
        if error is not None:
            raise error
        try:
            parsed = read_stream_event(event)
        except ValidationError:
            self.skipped_events += 1
            return []
        if isinstance(parsed, ContentBlockStartEvent | ContentBlockDeltaEvent | ContentBlockStopEvent):
            return self._block_event(parsed)
        if isinstance(parsed, MessageStartEvent):
            self._response_id = self._response_id or parsed.message.id
            self._model = parsed.message.model or self._model
            self._usage = usage_from_anthropic(parsed.message.usage)
            self._usage_seen = True
        elif isinstance(parsed, MessageDeltaEvent):
            self._stop_reason = parsed.delta.stop_reason or self._stop_reason
            self._usage = merged_usage(self._usage, parsed.usage)
            self._usage_seen = self._usage_final = True
        elif isinstance(parsed, MessageStopEvent):
            return self.finish()
        return []

    def continued_delta(self, event: Mapping[str, Any]) -> ResponsesDelta | None:
        """For a text, thinking or argument delta in its plain form that only continues the open
        item: its delta event's facts, counted as sent, for the caller to write; None, with nothing
        changed, for every other event (give it to :meth:`feed`)."""
        plain = plain_block_delta(event)
        writer = self._writer
        if plain is None or writer is None:
            return None
        index, kind, text = plain
        if kind == "text":
            return None if self._filter else writer.continued("message", text)
        if kind == "tool_use":
            return writer.continued("function_call", text) if index == self._tool_block else None
        continued = writer.continued("reasoning", text)
        thinking = self._thinking
        if continued is not None and thinking is not None and thinking.index == index:
            thinking.text.append(text)
        return continued

    def finish(self) -> list[ResponsesEvent]:
        """The closing events once the upstream ended, with the usage it reported."""
        return self.finish_with_usage(self._usage if self._usage_seen else None)

    def finish_with_usage(self, usage: TokenUsage | None) -> list[ResponsesEvent]:
        """The closing events, reporting ``usage`` (None: ``usage: null``)."""
        writer = self._writer_now()
        return self._held_text(writer) + writer.complete(usage, incomplete_reason(self._stop_reason))

    def finish_with_error(self, error: GatewayError) -> list[ResponsesEvent]:
        """``response.failed`` for a failure after the stream began; nothing follows it."""
        return self._writer_now().fail(error)

    def _writer_now(self) -> ResponsesEventWriter:
        if self._writer is None:
            self._writer = ResponsesEventWriter(
                response_id=response_id(self._response_id),
                model=self._model,
                created_at=self._created_at,
                echo=self._echo,
            )
        return self._writer

    def _block_event(
        self, event: ContentBlockStartEvent | ContentBlockDeltaEvent | ContentBlockStopEvent
    ) -> list[ResponsesEvent]:
        if isinstance(event, ContentBlockStartEvent):
            return self._block_start(event.index, event.content_block)
        if isinstance(event, ContentBlockDeltaEvent):
            return self._delta(event)
        writer = self._writer_now()
        if event.index == self._tool_block:
            self._tool_block = None
            return writer.close()
        thinking = self._thinking
        if thinking is None or thinking.index != event.index:
            return self._held_text(writer)  # the end of a text block
        self._thinking = None
        packed = pack_thinking(
            ThinkingBlock(type="thinking", thinking="".join(thinking.text), signature=thinking.signature)
        )
        return writer.seal_reasoning(packed) if packed else writer.close()

    def _held_text(self, writer: ResponsesEventWriter) -> list[ResponsesEvent]:
        """The text the filter held back, once its block (or the answer) ended."""
        return writer.text(self._filter.flush()) if self._filter else []

    def _block_start(self, index: int, block: ContentBlock) -> list[ResponsesEvent]:
        writer = self._writer_now()
        if isinstance(block, ToolUseBlock):
            declared = self._names.client_name(block.name)
            self._tool_block = index
            return writer.function_call(tool_call_id(block.id), declared.name, declared.namespace)
        if isinstance(block, ThinkingBlock):
            self._thinking = _Thinking(index, [block.thinking], block.signature or "")
            return writer.reasoning(block.thinking)
        if isinstance(block, RedactedThinkingBlock):
            return writer.seal_reasoning(pack_thinking(block) or "")
        return []  # text opens its item with its first delta; server-tool blocks have no form here

    def _delta(self, event: ContentBlockDeltaEvent) -> list[ResponsesEvent]:
        writer = self._writer_now()
        delta = event.delta
        if isinstance(delta, TextDelta):
            return writer.text(self._filter.feed(delta.text) if self._filter else delta.text)
        thinking = self._thinking if self._thinking and self._thinking.index == event.index else None
        if isinstance(delta, ThinkingDelta):
            if thinking:
                thinking.text.append(delta.thinking)
            return writer.reasoning(delta.thinking)
        if isinstance(delta, SignatureDelta) and thinking:
            thinking.signature += delta.signature
        if isinstance(delta, InputJSONDelta) and event.index == self._tool_block:
            return writer.arguments(delta.partial_json)
        return []
