"""The events about one output item of a streamed response, from opening to ``output_item.done``.

Pure constructors for :class:`ResponsesEventWriter`, which stamps ``sequence_number`` and decides
when items open and close. A message has one ``output_text`` part (``content_index`` 0), a
reasoning item one summary part (``summary_index`` 0) unless it is opaque (only
``encrypted_content``, no summary events). Items and events are written as wire dicts, keys in the
order (and ``None`` left out as) the ``protocol`` models dump them, with no model built or
validated; ``tests/unit/test_responses_lifecycle_oracle.py`` pins the bytes equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from coderouter_supervisor.worker.protocol import ResponsesEvent, WrittenResponsesEvent
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


def item_snapshot(item: OpenItem, status: SnapshotStatus) -> dict[str, Any]:
    """The item as ``output_item.added`` (empty, in progress) or ``.done`` (whole) carries it."""
    done = status == "completed"
    text = item.joined if done else ""
    if item.kind == "message":
        content = [{"type": "output_text", "text": text, "annotations": []}] if done else []
        return {"type": "message", "id": item.id, "role": "assistant", "status": status, "content": content}
    if item.kind == "reasoning":
        summary = [{"type": "summary_text", "text": text}] if done and not item.opaque else []
        reasoning: dict[str, Any] = {"type": "reasoning", "id": item.id, "summary": summary}
        if done and item.encrypted_content is not None:
            reasoning["encrypted_content"] = item.encrypted_content
        return reasoning
    call: dict[str, Any] = {
        "type": "function_call",
        "call_id": item.call_id,
        "name": item.name,
        "arguments": text,
    }
    if item.namespace is not None:
        call["namespace"] = item.namespace
    call["id"] = item.id
    call["status"] = status
    return call


def _event(kind: str, **fields: Any) -> WrittenResponsesEvent:
    # ``sequence_number`` holds its place second; the writer stamps it.
    return WrittenResponsesEvent({"type": kind, "sequence_number": 0, **fields})


def _part(kind: Literal["added", "done"], item: OpenItem, text: str) -> WrittenResponsesEvent:
    if item.kind == "message":
        return _event(
            f"response.content_part.{kind}",
            item_id=item.id,
            output_index=item.index,
            content_index=0,
            part={"type": "output_text", "text": text, "annotations": []},
        )
    return _event(
        f"response.reasoning_summary_part.{kind}",
        item_id=item.id,
        output_index=item.index,
        summary_index=0,
        part={"type": "summary_text", "text": text},
    )


def opening_events(item: OpenItem) -> list[ResponsesEvent]:
    """``output_item.added``, then the empty part a message or reasoning summary streams into."""
    events: list[ResponsesEvent] = [
        _event("response.output_item.added", output_index=item.index, item=item_snapshot(item, "in_progress"))
    ]
    if item.kind != "function_call" and not item.opaque:
        events.append(_part("added", item, ""))
    return events


class ResponsesDelta(NamedTuple):
    """What :func:`delta_event` writes for one delta, numbered: for a caller writing its bytes."""

    kind: ItemKind
    sequence_number: int
    item_id: str
    output_index: int
    delta: str


def delta_event(item: OpenItem, delta: str) -> ResponsesEvent:
    """The event that streams ``delta`` into ``item`` (the caller records it in ``item.text``)."""
    if item.kind == "message":
        return _event(
            "response.output_text.delta",
            item_id=item.id,
            output_index=item.index,
            content_index=0,
            delta=delta,
            logprobs=[],
        )
    if item.kind == "reasoning":
        return _event(
            "response.reasoning_summary_text.delta",
            item_id=item.id,
            output_index=item.index,
            summary_index=0,
            delta=delta,
        )
    return _event(
        "response.function_call_arguments.delta", item_id=item.id, output_index=item.index, delta=delta
    )


def closing_events(item: OpenItem) -> tuple[list[ResponsesEvent], dict[str, Any]]:
    """The ``.done`` events of ``item`` ending with ``output_item.done``, and the finished item."""
    text = item.joined
    events: list[ResponsesEvent] = []
    if item.kind == "message":
        events.append(
            _event(
                "response.output_text.done",
                item_id=item.id,
                output_index=item.index,
                content_index=0,
                text=text,
                logprobs=[],
            )
        )
        events.append(_part("done", item, text))
    elif item.kind == "reasoning" and not item.opaque:
        events.append(
            _event(
                "response.reasoning_summary_text.done",
                item_id=item.id,
                output_index=item.index,
                summary_index=0,
                text=text,
            )
        )
        events.append(_part("done", item, text))
    elif item.kind == "function_call":
        events.append(
            _event(
                "response.function_call_arguments.done",
                item_id=item.id,
                output_index=item.index,
                arguments=text,
                name=item.name,
            )
        )
    finished = item_snapshot(item, "completed")
    events.append(_event("response.output_item.done", output_index=item.index, item=finished))
    return events, finished
