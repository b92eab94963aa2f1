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

from dataclasses import dataclass
from typing import Any, Literal

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    ResponsesEvent,
    WireModel,
    WrittenResponsesEvent,
    responses_error_detail,
)
from coderouter_supervisor.worker.translate.responses_ids import ItemKind, item_id
from coderouter_supervisor.worker.translate.responses_item_events import (
    OpenItem,
    ResponsesDelta,
    closing_events,
    delta_event,
    opening_events,
)
from coderouter_supervisor.worker.translate.responses_usage import responses_usage
from coderouter_supervisor.worker.translate.usage import TokenUsage

IncompleteReason = Literal["max_output_tokens", "content_filter"]

# Where ``ResponseObject`` puts these: in field order when set, and (always emitted) as nulls last.
_ENDING_FIELDS = ("usage", "error", "incomplete_details")
_NULL_UNLESS_SET = ("error", "incomplete_details", "usage")


@dataclass(frozen=True)
class ResponseEcho:
    """Request settings every ``response`` object repeats (the SDK requires them)."""

    parallel_tool_calls: bool = True
    tool_choice: Any = "auto"
    tools: tuple[Any, ...] = ()


def _wire(value: Any) -> Any:
    return value.to_wire() if isinstance(value, WireModel) else value


def echo_fields(echo: ResponseEcho) -> dict[str, Any]:
    """``echo`` as the fields of a response on the wire."""
    return {
        "parallel_tool_calls": echo.parallel_tool_calls,
        "tool_choice": _wire(echo.tool_choice),
        "tools": [_wire(tool) for tool in echo.tools],
    }


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
        self._echoed = echo_fields(echo or ResponseEcho())
        self._sequence = 0
        self._started = False
        self._finished = False
        self._open: OpenItem | None = None
        self._done: list[dict[str, Any]] = []
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
        return self._stamped(
            [
                self._lifecycle("response.created", self._response("in_progress", {})),
                self._lifecycle("response.in_progress", self._response("in_progress", {})),
            ]
        )

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
        return self.close() + self._open_item(
            "function_call", call_id=call_id, name=name, namespace=namespace
        )

    def arguments(self, delta: str) -> list[ResponsesEvent]:
        """A fragment of the open function call's JSON arguments (ignored when none is open)."""
        if self._open is None or self._open.kind != "function_call":
            return []
        return self._append("function_call", delta)

    def continued(self, kind: ItemKind, delta: str) -> ResponsesDelta | None:
        """For a delta that only adds to the open item of ``kind``: record it, number it and return
        what its delta event carries, for the caller to write; None, with nothing changed, when it
        needs other events first or none at all (give it to :meth:`text`, :meth:`reasoning` or
        :meth:`arguments`)."""
        item = self._open
        if item is None or item.kind != kind or not delta or self._finished:
            return None
        item.text.append(delta)
        self._sequence += 1
        return ResponsesDelta(kind, self._sequence - 1, item.id, item.index, delta)

    def seal_reasoning(self, encrypted_content: str) -> list[ResponsesEvent]:
        """Finish the open reasoning item carrying ``encrypted_content`` (an item of its own when
        no reasoning text came first: redacted or hidden thinking)."""
        if self._finished:
            return []
        events: list[ResponsesEvent] = []
        if self._open is None or self._open.kind != "reasoning":
            events = self.close() + self._open_item("reasoning", opaque=True)
        assert self._open is not None
        self._open.encrypted_content = encrypted_content
        return events + self.close()

    def close(self) -> list[ResponsesEvent]:
        """Finish the open item (its ``.done`` events and ``output_item.done``)."""
        item = self._open
        if item is None or self._finished:
            return []
        self._open = None
        events, finished = closing_events(item)
        self._done.append(finished)
        return self._stamped(events)

    def complete(
        self, usage: TokenUsage | None, incomplete: IncompleteReason | None = None
    ) -> list[ResponsesEvent]:
        """Close what is open and end with ``response.completed`` (``.incomplete`` when cut short).

        ``usage`` None (the upstream reported none) is sent as ``usage: null``, which clients accept;
        a partial usage object they refuse.
        """
        if self._finished:
            return []
        events = self.start() + self.close()
        ending: dict[str, Any] = {"usage": responses_usage(usage).to_wire() if usage is not None else None}
        if incomplete:
            ending["incomplete_details"] = {"reason": incomplete}
        response = self._response("incomplete" if incomplete else "completed", ending)
        kind = "response.incomplete" if incomplete else "response.completed"
        events += self._stamped([self._lifecycle(kind, response)])
        self._finished = True
        return events

    def fail(self, error: GatewayError) -> list[ResponsesEvent]:
        """End with ``response.failed`` carrying ``error``; the open item stays unfinished."""
        if self._finished:
            return []
        events = self.start()
        response = self._response("failed", {"error": responses_error_detail(error).to_wire()})
        events += self._stamped([self._lifecycle("response.failed", response)])
        self._finished = True
        return events

    def _append(self, kind: ItemKind, delta: str) -> list[ResponsesEvent]:
        if not delta or self._finished:
            return []
        events: list[ResponsesEvent] = []
        if self._open is None or self._open.kind != kind:
            events = self.close() + self._open_item(kind)
        assert self._open is not None
        self._open.text.append(delta)
        return events + self._stamped([delta_event(self._open, delta)])

    def _open_item(
        self,
        kind: ItemKind,
        *,
        call_id: str = "",
        name: str = "",
        namespace: str | None = None,
        opaque: bool = False,
    ) -> list[ResponsesEvent]:
        item = OpenItem(
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
        return self.start() + self._stamped(opening_events(item))

    def _stamped(self, events: list[ResponsesEvent]) -> list[ResponsesEvent]:
        for event in events:
            event.sequence_number = self._sequence
            self._sequence += 1
        return events

    @staticmethod
    def _lifecycle(kind: str, response: dict[str, Any]) -> WrittenResponsesEvent:
        return WrittenResponsesEvent({"type": kind, "sequence_number": 0, "response": response})

    def _response(self, status: str, ending: dict[str, Any]) -> dict[str, Any]:
        """The ``response`` object as ``ResponseObject`` dumps it: ``usage``, ``error`` and
        ``incomplete_details`` after ``output`` when ``ending`` sets them, else null at the end."""
        response: dict[str, Any] = {
            "id": self.response_id,
            "object": "response",
            "created_at": self._created_at,
            "model": self.model,
            "status": status,
            "output": list(self._done),
        }
        for name in _ENDING_FIELDS:
            if ending.get(name) is not None:
                response[name] = ending[name]
        response.update(self._echoed)
        for name in _NULL_UNLESS_SET:
            response.setdefault(name, None)
        return response
