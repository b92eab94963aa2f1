"""Reading an OpenAI chat completion stream: what the model produced, chunk by chunk.

A translator to another protocol subclasses :class:`ChatStreamReader` and writes its own events in
the hooks (``_start``, ``_thinking_delta``, ``_text_delta``, ``_open_call``, ``_arguments_delta``,
``_close_answer``); the reader parses each chunk once and decides what reaches them.

Upstream quirks absorbed here: missing ``id``/``created``/``model``; content and ``finish_reason``
in one chunk; usage arriving in a trailing ``choices: []`` chunk; reasoning after a tool call (not
shown: it has no place in the turn); text after tool calls (held back and sent last, so a tool
call's argument stream is never cut short; whitespace-only trailing text is dropped). Argument
fragments for a call that is no longer the open one (an upstream interleaving parallel calls)
cannot be delivered in order and are counted in ``late_tool_fragments``. Output filters apply to
content text, then tool calls written as text become real calls (``declared_tools``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Generic, Literal, TypeVar

from pydantic import ValidationError

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    ChatCompletionChunk,
    DeltaToolCall,
    upstream_error_from_stream_payload,
)
from coderouter_supervisor.worker.translate.stream_tool_repair import Piece, StreamingToolRepair
from coderouter_supervisor.worker.translate.text_filter import TextFilter
from coderouter_supervisor.worker.translate.usage import TokenUsage, UsageReport, usage_from_openai

_CHARS_PER_TOKEN = 4

Event = TypeVar("Event")

_TEXT_FIELDS = frozenset({"content", "reasoning_content", "reasoning"})
_OPTIONAL_STRINGS = (str, type(None))


def _plain_delta(chunk: Mapping[str, Any]) -> dict[str, Any] | None:
    """The delta of a one-choice chunk without usage or finish reason whose envelope
    ``ChatCompletionChunk`` accepts and reads as it stands; None for any other chunk."""
    choices = chunk.get("choices")
    if type(choices) is not list or len(choices) != 1 or chunk.get("usage") is not None:
        return None
    if not (
        isinstance(chunk.get("id"), _OPTIONAL_STRINGS)
        and isinstance(chunk.get("model"), _OPTIONAL_STRINGS)
        and type(chunk.get("created", 0)) in (int, type(None))
        and chunk.get("object", "chat.completion.chunk") == "chat.completion.chunk"
    ):
        return None
    choice = choices[0]
    if type(choice) is not dict or choice.get("finish_reason") is not None:
        return None
    delta = choice.get("delta")
    if type(choice.get("index", 0)) is not int or type(delta) is not dict:
        return None
    return delta


def text_only_delta(chunk: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The delta of a chunk that carries only text, as most of a stream's chunks do, when
    ``ChatCompletionChunk`` would accept it and read the same from it; None for any other chunk
    (tool calls, a finish reason, usage, or anything unusual), which is validated in full.

    Most chunks are a delta of a few characters: validating each one as a model cost a fifth of
    the translation.
    """
    delta = _plain_delta(chunk)
    if delta is None:
        return None
    for key, value in delta.items():
        if value is None or (key in _TEXT_FIELDS and type(value) is str):
            continue
        if key == "role" and value == "assistant":
            continue
        return None
    return delta


_CALL_KEYS = frozenset({"index", "id", "type", "function"})
_FUNCTION_KEYS = frozenset({"name", "arguments"})


def arguments_only_delta(chunk: Mapping[str, Any]) -> tuple[int, str] | None:
    """The tool-call index and argument fragment of a chunk that carries only those, as a tool
    call's argument stream does, when ``ChatCompletionChunk`` would accept it and read the same;
    None for any other chunk."""
    delta = _plain_delta(chunk)
    calls = delta.get("tool_calls") if delta is not None else None
    if delta is None or type(calls) is not list or len(calls) != 1:
        return None
    for key, value in delta.items():
        if not (key == "tool_calls" or value is None or (key == "role" and value == "assistant")):
            return None
    return _plain_call(calls[0])


def _plain_call(call: Any) -> tuple[int, str] | None:
    if type(call) is not dict or not _CALL_KEYS.issuperset(call.keys()):
        return None
    function, index = call.get("function"), call.get("index")
    if type(index) is not int or type(function) is not dict or not _FUNCTION_KEYS.issuperset(function.keys()):
        return None
    arguments = function.get("arguments")
    plain = (
        isinstance(function.get("name"), _OPTIONAL_STRINGS)
        and isinstance(call.get("id"), _OPTIONAL_STRINGS)
        and call.get("type", "function") in ("function", None)
    )
    return (index, arguments) if plain and type(arguments) is str else None


class ChatStreamReader(Generic[Event]):
    """Feed parsed OpenAI chunks (dicts), get the events the hooks wrote; one instance per stream.

    ``model`` stands until a chunk names the upstream's model. ``input_tokens`` is the caller's
    estimate, used until the upstream reports usage. After :meth:`finish` or
    :meth:`finish_with_error` every call returns ``[]``.
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
        self._finished = False
        self._calls: set[int] = set()  # tool-call indices opened (repaired calls count down from -1)
        self._open_call: int | None = None
        self._held_text: list[str] = []
        self._finish_reason: str | None = None
        self._reported: TokenUsage | None = None
        self._emitted_chars = 0
        self._out: list[Event] = []
        self.late_tool_fragments = 0
        self.skipped_chunks = 0

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

    @property
    def repaired_calls(self) -> int:
        """How many tool calls written as text became real ones."""
        return self._repair.repaired if self._repair else 0

    def feed(self, chunk: Mapping[str, Any]) -> list[Event]:
        """Events for one upstream chunk (often none).

        Raises the matching ``UpstreamError`` when the chunk is an error report; end the
        stream with :meth:`finish_with_error` then (or fail over if nothing was started).
        """
        if self._finished:
            return []
        error = upstream_error_from_stream_payload(chunk, provider=self._provider)
        if error is not None:
            raise error
        text = text_only_delta(chunk)
        if text is not None:
            self._identify(chunk.get("id"), chunk.get("model"))
            self._texts(text.get("reasoning_content") or text.get("reasoning"), text.get("content"))
            return self._taken()
        try:
            parsed = ChatCompletionChunk.model_validate(chunk)
        except ValidationError:
            self.skipped_chunks += 1
            return []
        self._identify(parsed.id, parsed.model)
        if parsed.usage is not None:
            self._reported = usage_from_openai(parsed.usage)
        for choice in parsed.choices[:1]:
            delta = choice.delta
            self._texts(delta.reasoning_content or delta.reasoning, delta.content)
            for call in delta.tool_calls or []:
                self._tool_call(call)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason
        return self._taken()

    def _direct_piece(self, chunk: Mapping[str, Any]) -> tuple[Literal["thinking", "text"], str] | None:
        """The one text of a plain chunk that goes out as it came (reasoning, or content with no
        filter or repair to run) before any tool call, with its kind; None for every other chunk.
        Changes nothing: a caller that writes it itself then calls :meth:`_took_directly`."""
        if self._finished or self._calls or "error" in chunk:
            return None
        delta = text_only_delta(chunk)
        if delta is None:
            return None
        reasoning, content = delta.get("reasoning_content") or delta.get("reasoning"), delta.get("content")
        if reasoning and not content:
            return "thinking", reasoning
        if content and not reasoning and self._filter is None and self._repair is None:
            return "text", content
        return None

    def _direct_arguments(self, chunk: Mapping[str, Any]) -> str | None:
        """The argument fragment of a plain chunk that only continues the open tool call; None
        for every other chunk. Changes nothing: a caller that writes it itself then calls
        :meth:`_took_directly`."""
        if self._finished or "error" in chunk:
            return None
        read = arguments_only_delta(chunk)
        if read is None or not read[1] or read[0] != self._open_call or read[0] not in self._calls:
            return None
        return read[1]

    def _took_directly(self, chunk: Mapping[str, Any], text: str) -> None:
        """What :meth:`feed` records for a chunk whose one text the caller wrote itself."""
        self._identify(chunk.get("id"), chunk.get("model"))
        self._emitted_chars += len(text)

    def _identify(self, chunk_id: str | None, model: str | None) -> None:
        if self._message_id is None and chunk_id:
            self._message_id = chunk_id
        if model:
            self._model = model

    def _texts(self, reasoning: str | None, content: str | None) -> None:
        if reasoning and not self._calls:
            self._thinking_delta(reasoning)
            self._emitted_chars += len(reasoning)
        if content:
            self._repairable_text(self._filter.feed(content) if self._filter else content)

    def finish(self) -> list[Event]:
        """The closing events once the upstream ended (``[DONE]`` or end of body)."""
        if self._finished:
            return []
        if self._filter:
            self._repairable_text(self._filter.flush())
        if self._repair:
            self._repaired_pieces(self._repair.flush())
        held = "".join(self._held_text)
        if held.strip():
            self._text_delta(held)
            self._emitted_chars += len(held)
        self._start()
        self._close_answer(self._finish_reason, emitted_tool_use=bool(self._calls))
        self._finished = True
        return self._taken()

    def finish_with_error(self, error: GatewayError) -> list[Event]:
        """The terminal error event(s) for a failure after the stream began; nothing follows."""
        if self._finished:
            return []
        self._finished = True
        return self._failed(error)

    def _taken(self) -> list[Event]:
        events, self._out = self._out, []
        return events

    def _text(self, text: str) -> None:
        if not text:
            return
        if self._calls:
            self._held_text.append(text)
            return
        self._text_delta(text)
        self._emitted_chars += len(text)

    def _repairable_text(self, text: str) -> None:
        if self._repair is None:
            self._text(text)
        elif text:
            self._repaired_pieces(self._repair.feed(text))

    def _repaired_pieces(self, pieces: list[Piece]) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                self._text(piece)
                continue
            # Negative keys keep repaired calls apart from the upstream's own tool-call indices.
            self._opened_call(-1 - len(self._calls), None, piece.name)
            self._arguments(piece.arguments)

    def _tool_call(self, call: DeltaToolCall) -> None:
        function = call.function
        name = function.name if function and function.name else ""
        self._call_fragment(call.index, call.id, name, function.arguments if function else None)

    def _call_fragment(self, index: int, upstream_id: str | None, name: str, arguments: str | None) -> None:
        """One piece of tool call ``index``: it opens the call the first time, else adds arguments."""
        if index not in self._calls:
            self._opened_call(index, upstream_id, name)
        elif self._open_call != index:
            if arguments:
                self.late_tool_fragments += 1
            return
        if arguments:
            self._arguments(arguments)

    def _opened_call(self, key: int, upstream_id: str | None, name: str) -> None:
        self._open_call_item(upstream_id, name)
        self._calls.add(key)
        self._open_call = key

    def _arguments(self, arguments: str) -> None:
        self._arguments_delta(arguments)
        self._emitted_chars += len(arguments)

    # The hooks a translator writes its events in (``self._out``).

    def _start(self) -> None:
        """The stream's opening events, the first time only."""
        raise NotImplementedError

    def _thinking_delta(self, text: str) -> None:
        raise NotImplementedError

    def _text_delta(self, text: str) -> None:
        raise NotImplementedError

    def _open_call_item(self, upstream_id: str | None, name: str) -> None:
        """A new tool call (its arguments follow); ``upstream_id`` None for a repaired one."""
        raise NotImplementedError

    def _arguments_delta(self, arguments: str) -> None:
        raise NotImplementedError

    def _close_answer(self, finish_reason: str | None, *, emitted_tool_use: bool) -> None:
        """The closing events (called once, after :meth:`_start`)."""
        raise NotImplementedError

    def _failed(self, error: GatewayError) -> list[Event]:
        raise NotImplementedError
