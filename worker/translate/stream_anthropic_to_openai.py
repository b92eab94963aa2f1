"""Anthropic stream events -> OpenAI chat completion chunks, as a pure state machine.

Output order: a role chunk (``{"role": "assistant", "content": ""}``) before the first
content; content deltas; ``tool_calls`` deltas (``index``, ``id``, ``type``, ``name`` and
empty arguments first, then argument fragments); one chunk with the ``finish_reason``; a
usage chunk with ``choices: []`` when ``include_usage`` was asked. The caller then writes
``data: [DONE]``. Every chunk carries the same ``id``, ``created`` and ``model``. Thinking
becomes ``reasoning_content`` deltas; signatures, citations and server-tool blocks have no
OpenAI form and are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    CompletionUsage,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    DeltaFunction,
    DeltaToolCall,
    InputJSONDelta,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    OpenAIErrorEnvelope,
    TextDelta,
    ThinkingDelta,
    ToolUseBlock,
    openai_error_envelope,
    upstream_error_from_stream_payload,
)
from coderouter_supervisor.worker.translate.anthropic_event_reading import (
    plain_block_delta,
    read_stream_event,
)
from coderouter_supervisor.worker.translate.chat_deltas import ChatDelta
from coderouter_supervisor.worker.translate.ids import completion_id, tool_call_id
from coderouter_supervisor.worker.translate.stop_reasons import finish_reason_from_stop
from coderouter_supervisor.worker.translate.usage import (
    TokenUsage,
    UsageReport,
    openai_usage,
    usage_from_anthropic,
)


class AnthropicToOpenAIStream:
    """Feed parsed Anthropic events (dicts), get OpenAI chunks; one instance per stream.

    ``created`` is the caller's clock (Unix seconds). After :meth:`finish` or
    :meth:`finish_with_error` every call returns ``[]``.
    """

    def __init__(
        self,
        *,
        model: str,
        created: int,
        provider: str,
        include_usage: bool,
        completion_id: str | None = None,
    ) -> None:
        self._model = model
        self._created = created
        self._provider = provider
        self._include_usage = include_usage
        self._id = completion_id
        self._started = False
        self._finished = False
        self._tool_index_by_block: dict[int, int] = {}
        self._stop_reason: str | None = None
        self._usage = TokenUsage()
        self._usage_seen = False
        self._usage_final = False
        self.skipped_events = 0

    @property
    def started(self) -> bool:
        """Whether any chunk was produced (after that, failing over is no longer possible)."""
        return self._started

    @property
    def usage(self) -> TokenUsage:
        """Usage so far, as the upstream reported it (input at start, output cumulative)."""
        return self._usage

    @property
    def report(self) -> UsageReport:
        """What the upstream reported: input from ``message_start``, final with ``message_delta``."""
        return UsageReport(self._usage if self._usage_seen else None, final=self._usage_final)

    def feed(self, event: Mapping[str, Any]) -> list[ChatCompletionChunk]:
        """Chunks for one upstream event (often none).

        Raises the matching ``UpstreamError`` for an ``error`` event; end the stream with
        :meth:`finish_with_error` then (or fail over if nothing was started).
        """
        if self._finished:
            return []
        error = upstream_error_from_stream_payload(event, provider=self._provider)
        if error is not None:
            raise error
        try:
            parsed = read_stream_event(event)
        except ValidationError:
            self.skipped_events += 1
            return []
        chunks: list[ChatCompletionChunk] = []
        if isinstance(parsed, MessageStartEvent):
            self._id = self._id or completion_id(parsed.message.id)
            self._model = parsed.message.model or self._model
            self._usage = usage_from_anthropic(parsed.message.usage)
            self._usage_seen = True
        elif isinstance(parsed, ContentBlockStartEvent):
            self._start_block(parsed, chunks)
        elif isinstance(parsed, ContentBlockDeltaEvent):
            self._delta(parsed, chunks)
        elif isinstance(parsed, MessageDeltaEvent):
            self._stop_reason = parsed.delta.stop_reason or self._stop_reason
            self._merge_usage(parsed)
        elif isinstance(parsed, MessageStopEvent):
            chunks.extend(self.finish())
        return chunks

    @property
    def chunk_identity(self) -> tuple[str, int, str]:
        """The ``id``, ``created`` and ``model`` the next chunk carries."""
        return self._completion_id(), self._created, self._model

    def continued_delta(self, event: Mapping[str, Any]) -> ChatDelta | None:
        """For a text, thinking or argument delta in its plain form once the role chunk went out:
        the one chunk it becomes, for the caller to write (with :attr:`chunk_identity`); None,
        with nothing changed, for every other event (give it to :meth:`feed`)."""
        if self._finished or not self._started:
            return None
        plain = plain_block_delta(event)
        if plain is None or not plain[2]:
            return None
        index, kind, text = plain
        if kind != "tool_use":
            return ChatDelta("content" if kind == "text" else "reasoning_content", text)
        ordinal = self._tool_index_by_block.get(index)
        return None if ordinal is None else ChatDelta("tool_calls", text, ordinal)

    def finish(self) -> list[ChatCompletionChunk]:
        """The finish chunk (and usage chunk) once the upstream ended; idempotent."""
        if self._finished:
            return []
        chunks: list[ChatCompletionChunk] = []
        self._ensure_role(chunks)
        finish_reason = finish_reason_from_stop(self._stop_reason)
        chunks.append(self._chunk(ChoiceDelta(), finish_reason=finish_reason))
        if self._include_usage:
            chunks.append(self._usage_chunk(openai_usage(self._usage)))
        self._finished = True
        return chunks

    def finish_with_error(self, error: GatewayError) -> list[OpenAIErrorEnvelope]:
        """The error payload that ends a started stream; no ``[DONE]`` follows it."""
        if self._finished:
            return []
        self._finished = True
        return [openai_error_envelope(error)]

    def _chunk(self, delta: ChoiceDelta, *, finish_reason: str | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self._completion_id(),
            created=self._created,
            model=self._model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish_reason)],
        )

    def _usage_chunk(self, usage: CompletionUsage) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self._completion_id(), created=self._created, model=self._model, choices=[], usage=usage
        )

    def _completion_id(self) -> str:
        if self._id is None:
            self._id = completion_id(None)
        return self._id

    def _ensure_role(self, chunks: list[ChatCompletionChunk]) -> None:
        if not self._started:
            self._started = True
            chunks.append(self._chunk(ChoiceDelta(role="assistant", content="")))

    def _start_block(self, event: ContentBlockStartEvent, chunks: list[ChatCompletionChunk]) -> None:
        block = event.content_block
        if not isinstance(block, ToolUseBlock):
            return
        self._ensure_role(chunks)
        ordinal = len(self._tool_index_by_block)
        self._tool_index_by_block[event.index] = ordinal
        call = DeltaToolCall(
            index=ordinal,
            id=tool_call_id(block.id),
            type="function",
            function=DeltaFunction(name=block.name, arguments=""),
        )
        chunks.append(self._chunk(ChoiceDelta(tool_calls=[call])))

    def _delta(self, event: ContentBlockDeltaEvent, chunks: list[ChatCompletionChunk]) -> None:
        delta = event.delta
        if isinstance(delta, TextDelta) and delta.text:
            self._ensure_role(chunks)
            chunks.append(self._chunk(ChoiceDelta(content=delta.text)))
        elif isinstance(delta, ThinkingDelta) and delta.thinking:
            self._ensure_role(chunks)
            chunks.append(self._chunk(ChoiceDelta(reasoning_content=delta.thinking)))
        elif isinstance(delta, InputJSONDelta) and delta.partial_json:
            ordinal = self._tool_index_by_block.get(event.index)
            if ordinal is None:
                return
            call = DeltaToolCall(index=ordinal, function=DeltaFunction(arguments=delta.partial_json))
            chunks.append(self._chunk(ChoiceDelta(tool_calls=[call])))

    def _merge_usage(self, event: MessageDeltaEvent) -> None:
        reported = event.usage
        current = self._usage
        self._usage_seen = self._usage_final = True
        self._usage = TokenUsage(
            input_tokens=reported.input_tokens if reported.input_tokens is not None else current.input_tokens,
            output_tokens=reported.output_tokens,
            cache_read_tokens=(
                reported.cache_read_input_tokens
                if reported.cache_read_input_tokens is not None
                else current.cache_read_tokens
            ),
            cache_creation_tokens=(
                reported.cache_creation_input_tokens
                if reported.cache_creation_input_tokens is not None
                else current.cache_creation_tokens
            ),
        )
