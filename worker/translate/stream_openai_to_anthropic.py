"""OpenAI chat completion chunks -> Anthropic stream events, as a pure state machine.

Guarantees (each a way real clients break): exactly one ``message_start`` (even for an empty
upstream stream) with a ``msg_`` id; ``content_block_start``/``stop`` balanced, indices
increasing; a delta only ever goes to the open block of its own type (thinking -> text ->
tool_use, a new block whenever the kind changes); streamed tool arguments become
``input_json_delta`` whose concatenation is the tool input; ``message_delta`` carries usage
and a stop reason that is ``tool_use`` whenever a tool call was emitted; ``message_stop``
last; never ``[DONE]``.

Upstream quirks absorbed: missing ``id``/``created``/``model``; content and ``finish_reason``
in one chunk; usage arriving in a trailing ``choices: []`` chunk (the stop is held until the
end); text after tool calls (held back and sent as a last text block, so a tool call's
argument stream is never cut short; whitespace-only trailing text is dropped). Argument
fragments for a tool call whose block was already closed (an upstream interleaving parallel
calls) cannot be delivered in order and are counted in ``late_tool_fragments``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

from pydantic import ValidationError

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    AnthropicEvent,
    ChatCompletionChunk,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    DeltaToolCall,
    InputJSONDelta,
    Message,
    MessageDelta,
    MessageDeltaEvent,
    MessageDeltaUsage,
    MessageStartEvent,
    MessageStopEvent,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ThinkingDelta,
    ToolUseBlock,
    Usage,
    anthropic_error_event,
    upstream_error_from_stream_payload,
)
from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.stop_reasons import stop_reason_from_finish
from coderouter_supervisor.worker.translate.stream_tool_repair import Piece, StreamingToolRepair
from coderouter_supervisor.worker.translate.text_filter import TextFilter
from coderouter_supervisor.worker.translate.usage import TokenUsage, UsageReport, usage_from_openai

_CHARS_PER_TOKEN = 4

BlockKind = Literal["thinking", "text", "tool_use"]


class OpenAIToAnthropicStream:
    """Feed parsed OpenAI chunks (dicts), get Anthropic events; one instance per stream.

    ``model`` is reported in ``message_start`` (the upstream's model name when a chunk
    carries one). ``input_tokens`` is the caller's estimate shown in ``message_start``
    before the upstream reports real usage. ``text_filter`` (output filters) is applied to
    content text. After :meth:`finish` or :meth:`finish_with_error` every call returns ``[]``.
    """

    def __init__(
        self,
        *,
        model: str,
        provider: str,
        message_id: str | None = None,
        input_tokens: int = 0,
        text_filter: TextFilter | None = None,
        declared_tools: Collection[str] = (),
    ) -> None:
        self._model = model
        self._provider = provider
        self._message_id = message_id
        self._input_estimate = input_tokens
        self._filter = text_filter
        self._repair = StreamingToolRepair(declared_tools) if declared_tools else None
        self._started = False
        self._finished = False
        self._next_index = 0
        self._open: BlockKind | None = None
        self._open_tool: int | None = None
        self._tool_blocks: dict[int, int] = {}
        self._held_text: list[str] = []
        self._finish_reason: str | None = None
        self._reported: TokenUsage | None = None
        self._emitted_chars = 0
        self.late_tool_fragments = 0
        self.skipped_chunks = 0

    @property
    def started(self) -> bool:
        """Whether any event was produced (after that, failing over is no longer possible)."""
        return self._started

    @property
    def usage(self) -> TokenUsage:
        """Usage so far: the upstream's report when it sent one, else an estimate (4 chars/token)."""
        if self._reported is not None:
            return self._reported
        estimate = -(-self._emitted_chars // _CHARS_PER_TOKEN)
        return TokenUsage(input_tokens=self._input_estimate, output_tokens=estimate)

    @property
    def report(self) -> UsageReport:
        """What the upstream reported; final once the answer finished (some servers report
        running usage in every chunk)."""
        return UsageReport(
            self._reported, final=self._reported is not None and self._finish_reason is not None
        )

    def feed(self, chunk: Mapping[str, Any]) -> list[AnthropicEvent]:
        """Events for one upstream chunk (often none).

        Raises the matching ``UpstreamError`` when the chunk is an error report; end the
        stream with :meth:`finish_with_error` then (or fail over if nothing was started).
        """
        if self._finished:
            return []
        error = upstream_error_from_stream_payload(chunk, provider=self._provider)
        if error is not None:
            raise error
        try:
            parsed = ChatCompletionChunk.model_validate(chunk)
        except ValidationError:
            self.skipped_chunks += 1
            return []
        events: list[AnthropicEvent] = []
        if self._message_id is None and parsed.id:
            self._message_id = parsed.id
        if parsed.model:
            self._model = parsed.model
        if parsed.usage is not None:
            self._reported = usage_from_openai(parsed.usage)
        for choice in parsed.choices[:1]:
            delta = choice.delta
            reasoning = delta.reasoning_content or delta.reasoning
            if reasoning:
                self._thinking(reasoning, events)
            if delta.content:
                text = self._filter.feed(delta.content) if self._filter else delta.content
                self._repairable_text(text, events)
            for call in delta.tool_calls or []:
                self._tool_call(call, events)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
        return events

    def finish(self) -> list[AnthropicEvent]:
        """The closing events once the upstream ended (``[DONE]`` or end of body)."""
        if self._finished:
            return []
        events: list[AnthropicEvent] = []
        if self._filter:
            self._repairable_text(self._filter.flush(), events)
        if self._repair:
            self._repaired_pieces(self._repair.flush(), events)
        held = "".join(self._held_text)
        if held.strip():
            self._open_block("text", events)
            self._delta(TextDelta(text=held), len(held), events)
        self._ensure_started(events)
        self._close_block(events)
        stop_reason = stop_reason_from_finish(self._finish_reason, emitted_tool_use=bool(self._tool_blocks))
        usage = self.usage
        reported = self._reported is not None
        events.append(
            MessageDeltaEvent(
                delta=MessageDelta(stop_reason=stop_reason),
                usage=MessageDeltaUsage(
                    output_tokens=usage.output_tokens,
                    input_tokens=usage.input_tokens if reported else None,
                    cache_read_input_tokens=usage.cache_read_tokens if reported else None,
                    cache_creation_input_tokens=usage.cache_creation_tokens if reported else None,
                ),
            )
        )
        events.append(MessageStopEvent())
        self._finished = True
        return events

    def finish_with_error(self, error: GatewayError) -> list[AnthropicEvent]:
        """The terminal ``error`` event for a failure after the stream began; nothing follows it."""
        if self._finished:
            return []
        self._finished = True
        return [anthropic_error_event(error)]

    def _ensure_started(self, events: list[AnthropicEvent]) -> None:
        if self._started:
            return
        self._started = True
        message = Message(
            id=anthropic_message_id(self._message_id),
            model=self._model,
            content=[],
            usage=Usage(input_tokens=self._input_estimate, output_tokens=0),
        )
        events.append(MessageStartEvent(message=message))

    def _close_block(self, events: list[AnthropicEvent]) -> None:
        if self._open is not None:
            events.append(ContentBlockStopEvent(index=self._next_index - 1))
            self._open = None
            self._open_tool = None

    def _open_block(
        self, kind: BlockKind, events: list[AnthropicEvent], tool: DeltaToolCall | None = None
    ) -> None:
        self._ensure_started(events)
        if self._open == kind and kind != "tool_use":
            return
        self._close_block(events)
        block: ThinkingBlock | TextBlock | ToolUseBlock
        if kind == "thinking":
            block = ThinkingBlock(type="thinking", thinking="", signature="")
        elif kind == "text":
            block = TextBlock(type="text", text="")
        else:
            assert tool is not None
            name = tool.function.name if tool.function and tool.function.name else ""
            block = ToolUseBlock(type="tool_use", id=tool_use_id(tool.id), name=name, input={})
            self._tool_blocks[tool.index] = self._next_index
            self._open_tool = tool.index
        events.append(ContentBlockStartEvent(index=self._next_index, content_block=block))
        self._open = kind
        self._next_index += 1

    def _delta(
        self, delta: TextDelta | ThinkingDelta | InputJSONDelta, size: int, events: list[AnthropicEvent]
    ) -> None:
        events.append(ContentBlockDeltaEvent(index=self._next_index - 1, delta=delta))
        self._emitted_chars += size

    def _thinking(self, text: str, events: list[AnthropicEvent]) -> None:
        if self._tool_blocks:
            return  # Reasoning after a tool call has no place in the turn; it is not shown.
        self._open_block("thinking", events)
        self._delta(ThinkingDelta(thinking=text), len(text), events)

    def _text(self, text: str, events: list[AnthropicEvent]) -> None:
        if not text:
            return
        if self._tool_blocks:
            self._held_text.append(text)
            return
        self._open_block("text", events)
        self._delta(TextDelta(text=text), len(text), events)

    def _repairable_text(self, text: str, events: list[AnthropicEvent]) -> None:
        if self._repair is None:
            self._text(text, events)
        elif text:
            self._repaired_pieces(self._repair.feed(text), events)

    def _repaired_pieces(self, pieces: list[Piece], events: list[AnthropicEvent]) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                self._text(piece, events)
                continue
            self._close_block(events)
            self._ensure_started(events)
            # Negative keys keep repaired calls apart from the upstream's own tool-call indices.
            key = -1 - len(self._tool_blocks)
            block = ToolUseBlock(type="tool_use", id=tool_use_id(None), name=piece.name, input={})
            events.append(ContentBlockStartEvent(index=self._next_index, content_block=block))
            self._tool_blocks[key] = self._next_index
            self._open, self._open_tool = "tool_use", key
            self._next_index += 1
            self._delta(InputJSONDelta(partial_json=piece.arguments), len(piece.arguments), events)

    @property
    def repaired_calls(self) -> int:
        """How many tool calls written as text became real ones."""
        return self._repair.repaired if self._repair else 0

    def _tool_call(self, call: DeltaToolCall, events: list[AnthropicEvent]) -> None:
        arguments = call.function.arguments if call.function else None
        if call.index not in self._tool_blocks:
            self._open_block("tool_use", events, tool=call)
        elif self._open_tool != call.index:
            if arguments:
                self.late_tool_fragments += 1
            return
        if arguments:
            self._delta(InputJSONDelta(partial_json=arguments), len(arguments), events)
