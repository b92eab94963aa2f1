"""The events about one output item of a streamed response, from opening to ``output_item.done``.

Pure constructors for :class:`ResponsesEventWriter`, which stamps ``sequence_number`` and decides
when items open and close. A message has one ``output_text`` part (``content_index`` 0), a
reasoning item one summary part (``summary_index`` 0) unless it is opaque (only
``encrypted_content``, no summary events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from coderouter_supervisor.worker.protocol import (
    ArgumentsDeltaEvent,
    ArgumentsDoneEvent,
    ContentPartEvent,
    FunctionCallItem,
    OutputItem,
    OutputItemEvent,
    OutputMessage,
    OutputText,
    ReasoningItem,
    ResponsesEvent,
    SummaryPartEvent,
    SummaryText,
    SummaryTextDeltaEvent,
    SummaryTextDoneEvent,
    TextDeltaEvent,
    TextDoneEvent,
)
from coderouter_supervisor.worker.translate.responses_ids import ItemKind

SnapshotStatus = Literal["in_progress", "completed"]


@dataclass
class OpenItem:
    """An output item being streamed: what it has received so far."""

    kind: ItemKind
    index: int
    id: str
    text: list[str] = field(default_factory=list)  # output text, summary text or arguments
    call_id: str = ""
    name: str = ""
    namespace: str | None = None
    encrypted_content: str | None = None
    opaque: bool = False

    @property
    def joined(self) -> str:
        return "".join(self.text)


def item_snapshot(item: OpenItem, status: SnapshotStatus) -> OutputItem:
    """The item as ``output_item.added`` (empty, in progress) or ``.done`` (whole) carries it."""
    done = status == "completed"
    text = item.joined if done else ""
    if item.kind == "message":
        content = [OutputText(type="output_text", text=text, annotations=[])] if done else []
        return OutputMessage(id=item.id, status=status, content=list(content))
    if item.kind == "reasoning":
        summary = [SummaryText(text=text)] if done and not item.opaque else []
        encrypted = item.encrypted_content if done else None
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


def _part(kind: Literal["added", "done"], item: OpenItem, text: str) -> ResponsesEvent:
    if item.kind == "message":
        return ContentPartEvent(
            type="response.content_part.added" if kind == "added" else "response.content_part.done",
            item_id=item.id,
            output_index=item.index,
            content_index=0,
            part=OutputText(type="output_text", text=text, annotations=[]),
        )
    return SummaryPartEvent(
        type=(
            "response.reasoning_summary_part.added"
            if kind == "added"
            else "response.reasoning_summary_part.done"
        ),
        item_id=item.id,
        output_index=item.index,
        summary_index=0,
        part=SummaryText(text=text),
    )


def opening_events(item: OpenItem) -> list[ResponsesEvent]:
    """``output_item.added``, then the empty part a message or reasoning summary streams into."""
    events: list[ResponsesEvent] = [
        OutputItemEvent(
            type="response.output_item.added",
            output_index=item.index,
            item=item_snapshot(item, "in_progress"),
        )
    ]
    if item.kind != "function_call" and not item.opaque:
        events.append(_part("added", item, ""))
    return events


def delta_event(item: OpenItem, delta: str) -> ResponsesEvent:
    """The event that streams ``delta`` into ``item`` (the caller records it in ``item.text``)."""
    if item.kind == "message":
        return TextDeltaEvent(
            type="response.output_text.delta",
            item_id=item.id,
            output_index=item.index,
            content_index=0,
            delta=delta,
        )
    if item.kind == "reasoning":
        return SummaryTextDeltaEvent(
            type="response.reasoning_summary_text.delta",
            item_id=item.id,
            output_index=item.index,
            summary_index=0,
            delta=delta,
        )
    return ArgumentsDeltaEvent(
        type="response.function_call_arguments.delta", item_id=item.id, output_index=item.index, delta=delta
    )


def closing_events(item: OpenItem) -> tuple[list[ResponsesEvent], OutputItem]:
    """The ``.done`` events of ``item`` ending with ``output_item.done``, and the finished item."""
    text = item.joined
    events: list[ResponsesEvent] = []
    if item.kind == "message":
        events.append(
            TextDoneEvent(
                type="response.output_text.done",
                item_id=item.id,
                output_index=item.index,
                content_index=0,
                text=text,
            )
        )
        events.append(_part("done", item, text))
    elif item.kind == "reasoning" and not item.opaque:
        events.append(
            SummaryTextDoneEvent(
                type="response.reasoning_summary_text.done",
                item_id=item.id,
                output_index=item.index,
                summary_index=0,
                text=text,
            )
        )
        events.append(_part("done", item, text))
    elif item.kind == "function_call":
        events.append(
            ArgumentsDoneEvent(
                type="response.function_call_arguments.done",
                item_id=item.id,
                output_index=item.index,
                arguments=text,
                name=item.name,
            )
        )
    finished = item_snapshot(item, "completed")
    events.append(OutputItemEvent(type="response.output_item.done", output_index=item.index, item=finished))
    return events, finished
