"""The Responses event sequence, written from translated deltas.

A stream translator tells the writer what the model produced (text, reasoning, a function call and
its arguments, the end or a failure); the writer emits the events a client expects, in order (see
``protocol.responses_stream``). Guarantees: ``response.created`` and ``response.in_progress``
first, once; every item opened with ``output_item.added`` is closed with ``output_item.done``
carrying the whole item (without it Codex silently shows nothing and runs no tool) before
``response.completed``; an item's id is the same in every event about it; ``sequence_number``
counts up by one from 0; nothing follows ``response.completed`` / ``.incomplete`` / ``.failed``.
One item is open at a time: text after a function call starts a new message item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    ArgumentsDeltaEvent,
    ArgumentsDoneEvent,
    ContentPartEvent,
    FunctionCallItem,
    IncompleteDetails,
    OutputItem,
    OutputItemEvent,
    OutputMessage,
    OutputText,
    ReasoningItem,
    ResponseLifecycleEvent,
    ResponseObject,
    ResponsesEvent,
    SummaryPartEvent,
    SummaryText,
    SummaryTextDeltaEvent,
    SummaryTextDoneEvent,
    TextDeltaEvent,
    TextDoneEvent,
)
from coderouter_supervisor.worker.protocol.responses_errors import responses_error_detail
from coderouter_supervisor.worker.translate.responses_ids import ItemKind, item_id
from coderouter_supervisor.worker.translate.responses_usage import responses_usage
from coderouter_supervisor.worker.translate.usage import TokenUsage

IncompleteReason = Literal["max_output_tokens", "content_filter"]


@dataclass
class _OpenItem:
    kind: ItemKind
    index: int
    id: str
    text: list[str] = field(default_factory=list)
    call_id: str = ""
    name: str = ""
    namespace: str | None = None
    encrypted_content: str | None = None
    opaque: bool = False  # a reasoning item without summary events


@dataclass(frozen=True)
class ResponseEcho:
    """Request settings every ``response`` object repeats (the SDK requires them)."""

    parallel_tool_calls: bool = True
    tool_choice: Any = "auto"
    tools: tuple[Any, ...] = ()


class ResponsesEventWriter:
    """Turns deltas into Responses events; one instance per response.

    Every method returns the events to send now (possibly none). After :meth:`complete` or
    :meth:`fail` every method returns ``[]``.
    """

    def __init__(
        self, *, response_id: str, model: str, created_at: int, echo: ResponseEcho | None = None
    ) -> None:
        self.response_id = response_id
        self.model = model
        self._created_at = created_at
        self._echo = echo or ResponseEcho()
        self._sequence = 0
        self._started = False
        self._finished = False
        self._open: _OpenItem | None = None
        self._done: list[OutputItem] = []
        self._next_index = 0

    @property
    def started(self) -> bool:
        return self._started

    @property
    def finished(self) -> bool:
        return self._finished

    def start(self) -> list[ResponsesEvent]:
        """``response.created`` and ``response.in_progress``, the first time only."""
        if self._started or self._finished:
            return []
        self._started = True
        return [
            self._stamp(ResponseLifecycleEvent(type=kind, response=self._response("in_progress")))
            for kind in ("response.created", "response.in_progress")
        ]

    def text(self, delta: str) -> list[ResponsesEvent]:
        """Answer text, into the open message (a new one when another kind of item is open)."""
        return self._append("message", delta)

    def reasoning(self, delta: str) -> list[ResponsesEvent]:
        """Reasoning text, as the summary of the open reasoning item (a new one if none is open)."""
        return self._append("reasoning", delta)

    def function_call(self, call_id: str, name: str, namespace: str | None = None) -> list[ResponsesEvent]:
        """Open a function call item; its arguments follow through :meth:`arguments`."""
        if self._finished:
            return []
        events = self.close()
        events.extend(self._open_item("function_call", call_id=call_id, name=name, namespace=namespace))
        return events

    def arguments(self, delta: str) -> list[ResponsesEvent]:
        """A fragment of the open function call's JSON arguments (ignored when none is open)."""
        item = self._open
        if not delta or self._finished or item is None or item.kind != "function_call":
            return []
        item.text.append(delta)
        return [
            self._stamp(
                ArgumentsDeltaEvent(
                    type="response.function_call_arguments.delta",
                    item_id=item.id,
                    output_index=item.index,
                    delta=delta,
                )
            )
        ]

    def seal_reasoning(self, encrypted_content: str) -> list[ResponsesEvent]:
        """Finish the open reasoning item carrying ``encrypted_content`` (an item of its own when
        no reasoning text came first: redacted or hidden thinking)."""
        if self._finished:
            return []
        events: list[ResponsesEvent] = []
        if self._open is None or self._open.kind != "reasoning":
            events = self.close()
            events.extend(self._open_item("reasoning", opaque=True))
        self._current().encrypted_content = encrypted_content
        return events + self.close()

    def close(self) -> list[ResponsesEvent]:
        """Finish the open item (its ``.done`` events and ``output_item.done``)."""
        item = self._open
        if item is None or self._finished:
            return []
        self._open = None
        text = "".join(item.text)
        if item.kind == "message":
            events = self._close_message(item, text)
        elif item.kind == "reasoning":
            events = [] if item.opaque else self._close_reasoning(item, text)
        else:
            events = [
                self._stamp(
                    ArgumentsDoneEvent(
                        type="response.function_call_arguments.done",
                        item_id=item.id,
                        output_index=item.index,
                        arguments=text,
                        name=item.name,
                    )
                )
            ]
        done = self._item(item, "completed")
        self._done.append(done)
        events.append(
            self._stamp(OutputItemEvent(type="response.output_item.done", output_index=item.index, item=done))
        )
        return events

    def complete(
        self, usage: TokenUsage | None, incomplete: IncompleteReason | None = None
    ) -> list[ResponsesEvent]:
        """Close what is open and end with ``response.completed`` (``.incomplete`` when cut short).

        ``usage`` None (the upstream reported none) is sent as ``usage: null``, which clients accept;
        a partial usage object they refuse.
        """
        if self._finished:
            return []
        events = self.start()
        events.extend(self.close())
        response = self._response("incomplete" if incomplete else "completed")
        response.output = list(self._done)
        response.usage = responses_usage(usage) if usage is not None else None
        response.incomplete_details = IncompleteDetails(reason=incomplete) if incomplete else None
        kind: Literal["response.completed", "response.incomplete"] = (
            "response.incomplete" if incomplete else "response.completed"
        )
        events.append(self._stamp(ResponseLifecycleEvent(type=kind, response=response)))
        self._finished = True
        return events

    def fail(self, error: GatewayError) -> list[ResponsesEvent]:
        """End with ``response.failed`` carrying ``error``; the open item stays unfinished."""
        if self._finished:
            return []
        events = self.start()
        response = self._response("failed")
        response.output = list(self._done)
        response.error = responses_error_detail(error)
        events.append(self._stamp(ResponseLifecycleEvent(type="response.failed", response=response)))
        self._finished = True
        return events

    def _append(self, kind: Literal["message", "reasoning"], delta: str) -> list[ResponsesEvent]:
        if not delta or self._finished:
            return []
        events = self._ensure_open(kind)
        item = self._current()
        item.text.append(delta)
        event: TextDeltaEvent | SummaryTextDeltaEvent
        if kind == "message":
            event = TextDeltaEvent(
                type="response.output_text.delta",
                item_id=item.id,
                output_index=item.index,
                content_index=0,
                delta=delta,
            )
        else:
            event = SummaryTextDeltaEvent(
                type="response.reasoning_summary_text.delta",
                item_id=item.id,
                output_index=item.index,
                summary_index=0,
                delta=delta,
            )
        events.append(self._stamp(event))
        return events

    def _stamp(self, event: ResponsesEvent) -> ResponsesEvent:
        event.sequence_number = self._sequence
        self._sequence += 1
        return event

    def _response(self, status: str) -> ResponseObject:
        return ResponseObject(
            id=self.response_id,
            created_at=self._created_at,
            model=self.model,
            status=status,
            parallel_tool_calls=self._echo.parallel_tool_calls,
            tool_choice=self._echo.tool_choice,
            tools=list(self._echo.tools),
        )

    def _current(self) -> _OpenItem:
        assert self._open is not None
        return self._open

    def _ensure_open(self, kind: ItemKind) -> list[ResponsesEvent]:
        if self._open is not None and self._open.kind == kind:
            return []
        events = self.close()
        events.extend(self._open_item(kind))
        return events

    def _open_item(
        self,
        kind: ItemKind,
        *,
        call_id: str = "",
        name: str = "",
        namespace: str | None = None,
        opaque: bool = False,
    ) -> list[ResponsesEvent]:
        events = self.start()
        item = _OpenItem(
            kind,
            self._next_index,
            item_id(kind),
            call_id=call_id,
            name=name,
            namespace=namespace,
            opaque=opaque,
        )
        self._next_index += 1
        self._open = item
        added = self._item(item, "in_progress")
        events.append(
            self._stamp(
                OutputItemEvent(type="response.output_item.added", output_index=item.index, item=added)
            )
        )
        if kind == "message":
            part = OutputText(type="output_text", text="", annotations=[])
            events.append(self._stamp(self._part_event("response.content_part.added", item, part)))
        elif kind == "reasoning" and not opaque:
            events.append(self._stamp(self._summary_event("response.reasoning_summary_part.added", item, "")))
        return events

    def _item(self, item: _OpenItem, status: Literal["in_progress", "completed"]) -> OutputItem:
        text = "".join(item.text) if status == "completed" else ""
        if item.kind == "message":
            content = (
                [OutputText(type="output_text", text=text, annotations=[])] if status == "completed" else []
            )
            return OutputMessage(id=item.id, status=status, content=list(content))
        if item.kind == "reasoning":
            summary = [SummaryText(text=text)] if status == "completed" and not item.opaque else []
            encrypted = item.encrypted_content if status == "completed" else None
            return ReasoningItem(type="reasoning", id=item.id, summary=summary, encrypted_content=encrypted)
        return FunctionCallItem(
            type="function_call",
            id=item.id,
            call_id=item.call_id,
            name=item.name,
            namespace=item.namespace,
            arguments=text,
            status=status,
        )

    def _close_message(self, item: _OpenItem, text: str) -> list[ResponsesEvent]:
        part = OutputText(type="output_text", text=text, annotations=[])
        return [
            self._stamp(
                TextDoneEvent(
                    type="response.output_text.done",
                    item_id=item.id,
                    output_index=item.index,
                    content_index=0,
                    text=text,
                )
            ),
            self._stamp(self._part_event("response.content_part.done", item, part)),
        ]

    def _close_reasoning(self, item: _OpenItem, text: str) -> list[ResponsesEvent]:
        return [
            self._stamp(
                SummaryTextDoneEvent(
                    type="response.reasoning_summary_text.done",
                    item_id=item.id,
                    output_index=item.index,
                    summary_index=0,
                    text=text,
                )
            ),
            self._stamp(self._summary_event("response.reasoning_summary_part.done", item, text)),
        ]

    @staticmethod
    def _part_event(
        kind: Literal["response.content_part.added", "response.content_part.done"],
        item: _OpenItem,
        part: OutputText,
    ) -> ContentPartEvent:
        return ContentPartEvent(
            type=kind, item_id=item.id, output_index=item.index, content_index=0, part=part
        )

    @staticmethod
    def _summary_event(
        kind: Literal["response.reasoning_summary_part.added", "response.reasoning_summary_part.done"],
        item: _OpenItem,
        text: str,
    ) -> SummaryPartEvent:
        return SummaryPartEvent(
            type=kind, item_id=item.id, output_index=item.index, summary_index=0, part=SummaryText(text=text)
        )
