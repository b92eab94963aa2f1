"""OpenAI chat completion chunks -> Anthropic stream events, as a pure state machine.

Guarantees (each a way real clients break): exactly one ``message_start`` (even for an empty
upstream stream) with a ``msg_`` id; ``content_block_start``/``stop`` balanced, indices
increasing; a delta only ever goes to the open block of its own type (thinking -> text ->
tool_use, a new block whenever the kind changes); streamed tool arguments become
``input_json_delta`` whose concatenation is the tool input; ``message_delta`` carries usage
and a stop reason that is ``tool_use`` whenever a tool call was emitted; ``message_stop``
last; never ``[DONE]``. The upstream quirks absorbed are :mod:`chat_stream_reader`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    AnthropicEvent,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
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
)
from coderouter_supervisor.worker.translate.chat_stream_reader import ChatStreamReader
from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.stop_reasons import stop_reason_from_finish

BlockKind = Literal["thinking", "text", "tool_use"]


class OpenAIToAnthropicStream(ChatStreamReader[AnthropicEvent]):
    """Feed parsed OpenAI chunks (dicts), get Anthropic events; one instance per stream.

    ``model`` is reported in ``message_start`` (the upstream's model name when a chunk
    carries one). ``input_tokens`` is the caller's estimate shown in ``message_start``
    before the upstream reports real usage. ``text_filter`` (output filters) is applied to
    content text. After :meth:`finish` or :meth:`finish_with_error` every call returns ``[]``.
    """

    _started = False
    _next_index = 0
    _open: BlockKind | None = None

    @property
    def started(self) -> bool:
        """Whether any event was produced (after that, failing over is no longer possible)."""
        return self._started

    def continued_chunk(self, chunk: Mapping[str, Any]) -> tuple[BlockKind, int, str] | None:
        """For an upstream chunk whose one text only continues the open block: the block's kind
        and index and the text, counted as sent, for the caller to write as a
        ``content_block_delta``; None, with nothing changed, for every other chunk (give it to
        :meth:`feed`)."""
        piece: tuple[BlockKind, str] | None = self._direct_piece(chunk)
        if piece is None:
            arguments = self._direct_arguments(chunk)
            piece = None if arguments is None else ("tool_use", arguments)
        if piece is None or self._open != piece[0]:
            return None
        self._took_directly(chunk, piece[1])
        return piece[0], self._next_index - 1, piece[1]

    def continued_block(self, kind: Literal["thinking", "text"], text: str) -> int | None:
        """For a delta that only adds ``text`` to the open block of ``kind``: count it as sent and
        return the block's index, for the caller to write the ``content_block_delta`` itself (no
        event model per token). None, with nothing changed, when the delta needs the general path:
        another block open, an empty text, a text filter or tool-call repair to run, a tool call
        made (later text is held back, later thinking dropped), the stream finished."""
        if self._finished or self._open != kind or not text or self._calls:
            return None
        if kind == "text" and (self._filter is not None or self._repair is not None):
            return None
        self._emitted_chars += len(text)
        return self._next_index - 1

    def _start(self) -> None:
        if self._started:
            return
        self._started = True
        message = Message(
            id=anthropic_message_id(self._message_id),
            model=self._model,
            content=[],
            usage=Usage(input_tokens=self._input_estimate, output_tokens=0),
        )
        self._out.append(MessageStartEvent(message=message))

    def _close_block(self) -> None:
        if self._open is not None:
            self._out.append(ContentBlockStopEvent(index=self._next_index - 1))
            self._open = None

    def _open_block(self, block: ThinkingBlock | TextBlock | ToolUseBlock) -> None:
        self._start()
        if self._open == block.type and block.type != "tool_use":
            return
        self._close_block()
        self._out.append(ContentBlockStartEvent(index=self._next_index, content_block=block))
        self._open = block.type
        self._next_index += 1

    def _delta(self, delta: TextDelta | ThinkingDelta | InputJSONDelta) -> None:
        self._out.append(ContentBlockDeltaEvent(index=self._next_index - 1, delta=delta))

    def _thinking_delta(self, text: str) -> None:
        if self._open != "thinking":
            self._open_block(ThinkingBlock(type="thinking", thinking="", signature=""))
        self._delta(ThinkingDelta(thinking=text))

    def _text_delta(self, text: str) -> None:
        if self._open != "text":
            self._open_block(TextBlock(type="text", text=""))
        self._delta(TextDelta(text=text))

    def _open_call_item(self, upstream_id: str | None, name: str) -> None:
        self._open_block(ToolUseBlock(type="tool_use", id=tool_use_id(upstream_id), name=name, input={}))

    def _arguments_delta(self, arguments: str) -> None:
        self._delta(InputJSONDelta(partial_json=arguments))

    def _close_answer(self, finish_reason: str | None, *, emitted_tool_use: bool) -> None:
        self._close_block()
        stop_reason = stop_reason_from_finish(finish_reason, emitted_tool_use=emitted_tool_use)
        usage = self.usage
        reported = self._reported is not None
        self._out.append(
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
        self._out.append(MessageStopEvent())

    def _failed(self, error: GatewayError) -> list[AnthropicEvent]:
        return [anthropic_error_event(error)]
