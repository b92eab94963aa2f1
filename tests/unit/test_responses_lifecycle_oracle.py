"""The Responses events the writer builds as dicts are byte for byte what the wire models made.

``ModelWriter`` below is the writer as it was when it built every event as a pydantic model
(``ResponseLifecycleEvent``, ``OutputItemEvent``, ...); it lives only here, as the oracle. Both are
driven with the same calls and must put the same bytes on the wire, with and without reasoning's
encrypted content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from coderouter_supervisor.worker.adapters.event_frames import encode_named_events
from coderouter_supervisor.worker.adapters.responses_frames import without_encrypted_reasoning
from coderouter_supervisor.worker.errors import (
    ContextOverflow,
    GatewayError,
    MidStreamFailure,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.protocol import (
    ArgumentsDeltaEvent,
    ArgumentsDoneEvent,
    ContentPartEvent,
    FunctionCallItem,
    FunctionToolChoice,
    IncompleteDetails,
    OutputItem,
    OutputItemEvent,
    OutputMessage,
    OutputText,
    ReasoningItem,
    ResponseLifecycleEvent,
    ResponseObject,
    SummaryPartEvent,
    SummaryText,
    SummaryTextDeltaEvent,
    SummaryTextDoneEvent,
    TextDeltaEvent,
    TextDoneEvent,
    WireModel,
    encode_event,
    responses_error_detail,
)
from coderouter_supervisor.worker.translate import ResponseEcho, ResponsesEventWriter, TokenUsage
from coderouter_supervisor.worker.translate.responses_usage import responses_usage

Kind = Literal["message", "reasoning", "function_call"]


@dataclass
class _Item:
    kind: Kind
    index: int
    id: str
    text: list[str] = field(default_factory=list)
    call_id: str = ""
    name: str = ""
    namespace: str | None = None
    encrypted_content: str | None = None
    opaque: bool = False


def _snapshot(item: _Item, status: Literal["in_progress", "completed"]) -> OutputItem:
    done = status == "completed"
    text = "".join(item.text) if done else ""
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


def _part(kind: Literal["added", "done"], item: _Item, text: str) -> WireModel:
    if item.kind == "message":
        return ContentPartEvent(
            type=f"response.content_part.{kind}",  # type: ignore[arg-type]
            item_id=item.id,
            output_index=item.index,
            content_index=0,
            part=OutputText(type="output_text", text=text, annotations=[]),
        )
    return SummaryPartEvent(
        type=f"response.reasoning_summary_part.{kind}",  # type: ignore[arg-type]
        item_id=item.id,
        output_index=item.index,
        summary_index=0,
        part=SummaryText(text=text),
    )


class ModelWriter:
    """The model-building writer, with item ids handed in so its output can be compared."""

    def __init__(self, ids: Iterator[str], *, echo: ResponseEcho) -> None:
        self._ids = ids
        self._echo = echo
        self._sequence = 0
        self._started = False
        self._finished = False
        self._open: _Item | None = None
        self._done: list[OutputItem] = []
        self._next_index = 0

    def start(self) -> list[Any]:
        if self._started or self._finished:
            return []
        self._started = True
        return self._stamped(
            [
                ResponseLifecycleEvent(type="response.created", response=self._response("in_progress")),
                ResponseLifecycleEvent(type="response.in_progress", response=self._response("in_progress")),
            ]
        )

    def text(self, delta: str) -> list[Any]:
        return self._append("message", delta)

    def reasoning(self, delta: str) -> list[Any]:
        return self._append("reasoning", delta)

    def function_call(self, call_id: str, name: str, namespace: str | None = None) -> list[Any]:
        if self._finished:
            return []
        return self.close() + self._open_item(
            "function_call", call_id=call_id, name=name, namespace=namespace
        )

    def arguments(self, delta: str) -> list[Any]:
        if self._open is None or self._open.kind != "function_call":
            return []
        return self._append("function_call", delta)

    def seal_reasoning(self, encrypted_content: str) -> list[Any]:
        if self._finished:
            return []
        events: list[Any] = []
        if self._open is None or self._open.kind != "reasoning":
            events = self.close() + self._open_item("reasoning", opaque=True)
        assert self._open is not None
        self._open.encrypted_content = encrypted_content
        return events + self.close()

    def close(self) -> list[Any]:
        item = self._open
        if item is None or self._finished:
            return []
        self._open = None
        text = "".join(item.text)
        events: list[Any] = []
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
        finished = _snapshot(item, "completed")
        events.append(
            OutputItemEvent(type="response.output_item.done", output_index=item.index, item=finished)
        )
        self._done.append(finished)
        return self._stamped(events)

    def complete(self, usage: TokenUsage | None, incomplete: str | None = None) -> list[Any]:
        if self._finished:
            return []
        events = self.start() + self.close()
        response = self._response("incomplete" if incomplete else "completed")
        response.output = list(self._done)
        response.usage = responses_usage(usage) if usage is not None else None
        response.incomplete_details = IncompleteDetails(reason=incomplete) if incomplete else None
        kind = "response.incomplete" if incomplete else "response.completed"
        events += self._stamped([ResponseLifecycleEvent(type=kind, response=response)])  # type: ignore[arg-type]
        self._finished = True
        return events

    def fail(self, error: GatewayError) -> list[Any]:
        if self._finished:
            return []
        events = self.start()
        response = self._response("failed")
        response.output = list(self._done)
        response.error = responses_error_detail(error)
        events += self._stamped([ResponseLifecycleEvent(type="response.failed", response=response)])
        self._finished = True
        return events

    def _append(self, kind: Kind, delta: str) -> list[Any]:
        if not delta or self._finished:
            return []
        events: list[Any] = []
        if self._open is None or self._open.kind != kind:
            events = self.close() + self._open_item(kind)
        item = self._open
        assert item is not None
        item.text.append(delta)
        event: WireModel
        if kind == "message":
            event = TextDeltaEvent(
                type="response.output_text.delta",
                item_id=item.id,
                output_index=item.index,
                content_index=0,
                delta=delta,
            )
        elif kind == "reasoning":
            event = SummaryTextDeltaEvent(
                type="response.reasoning_summary_text.delta",
                item_id=item.id,
                output_index=item.index,
                summary_index=0,
                delta=delta,
            )
        else:
            event = ArgumentsDeltaEvent(
                type="response.function_call_arguments.delta",
                item_id=item.id,
                output_index=item.index,
                delta=delta,
            )
        return events + self._stamped([event])

    def _open_item(
        self,
        kind: Kind,
        *,
        call_id: str = "",
        name: str = "",
        namespace: str | None = None,
        opaque: bool = False,
    ) -> list[Any]:
        item = _Item(
            kind,
            self._next_index,
            next(self._ids),
            call_id=call_id,
            name=name,
            namespace=namespace,
            opaque=opaque,
        )
        self._next_index += 1
        self._open = item
        events: list[Any] = [
            OutputItemEvent(
                type="response.output_item.added",
                output_index=item.index,
                item=_snapshot(item, "in_progress"),
            )
        ]
        if item.kind != "function_call" and not item.opaque:
            events.append(_part("added", item, ""))
        return self.start() + self._stamped(events)

    def _stamped(self, events: list[Any]) -> list[Any]:
        for event in events:
            event.sequence_number = self._sequence
            self._sequence += 1
        return events

    def _response(self, status: str) -> ResponseObject:
        return ResponseObject(
            id="resp_oracle",
            created_at=1700000000,
            model="gw-model",
            status=status,
            parallel_tool_calls=self._echo.parallel_tool_calls,
            tool_choice=self._echo.tool_choice,
            tools=list(self._echo.tools),
        )


def _seal_models(events: list[Any]) -> list[Any]:
    """What the model path did when the client did not ask for encrypted reasoning."""
    for event in events:
        items = [event.item] if isinstance(event, OutputItemEvent) else []
        if isinstance(event, ResponseLifecycleEvent):
            items = list(event.response.output)
        for item in items:
            if isinstance(item, ReasoningItem):
                item.encrypted_content = None
    return events


Script = Callable[[Any], list[Any]]
USAGE = TokenUsage(input_tokens=20, output_tokens=30)
CACHED_USAGE = TokenUsage(
    input_tokens=20, output_tokens=30, cache_read_tokens=100, cache_creation_tokens=5, reasoning_tokens=7
)
TOOLS = ({"type": "function", "name": "exec_command", "parameters": {"type": "object"}, "strict": None},)

SCRIPTS = [
    pytest.param(lambda w: w.text("Hel") + w.text('lo "ünï"\n') + w.complete(USAGE), id="text"),
    pytest.param(lambda w: w.complete(None), id="empty-null-usage"),
    pytest.param(
        lambda w: w.reasoning("Let me ") + w.reasoning("look.") + w.text("ok") + w.complete(CACHED_USAGE),
        id="reasoning-summary-then-text-cached-usage",
    ),
    pytest.param(
        lambda w: (
            w.reasoning("think") + w.seal_reasoning("enc==") + w.text("answer") + w.complete(CACHED_USAGE)
        ),
        id="reasoning-summary-with-encrypted-content",
    ),
    pytest.param(lambda w: w.seal_reasoning("opaque==") + w.complete(USAGE), id="opaque-reasoning"),
    pytest.param(
        lambda w: (
            w.function_call("call_a", "exec_command")
            + w.arguments('{"cmd":')
            + w.arguments('"ls"}')
            + w.function_call("call_b", "close_agent", "multi_agent_v1")
            + w.arguments("{}")
            + w.complete(USAGE)
        ),
        id="function-calls-with-namespace",
    ),
    pytest.param(
        lambda w: (
            w.text("a")
            + w.function_call("c1", "f")
            + w.arguments("{}")
            + w.text("b")
            + w.close()
            + w.complete(USAGE)
        ),
        id="several-items",
    ),
    pytest.param(
        lambda w: w.function_call("c1", "f") + w.complete(USAGE),
        id="call-without-arguments",
    ),
    pytest.param(
        lambda w: w.text("cut") + w.complete(USAGE, "max_output_tokens"), id="incomplete-max-output-tokens"
    ),
    pytest.param(lambda w: w.complete(None, "content_filter"), id="incomplete-content-filter"),
    pytest.param(
        lambda w: (
            w.reasoning("r")
            + w.seal_reasoning("enc")
            + w.text("half")
            + w.fail(MidStreamFailure("gone", provider="p"))
        ),
        id="failure-mid-item",
    ),
    pytest.param(lambda w: w.fail(UpstreamTimeout("slow", provider="p")), id="failure-before-content"),
    pytest.param(
        lambda w: w.text("x") + w.fail(ContextOverflow("too long", provider="p")),
        id="failure-context-overflow",
    ),
    pytest.param(
        lambda w: (
            w.text("x") + w.complete(USAGE) + w.text("after") + w.fail(MidStreamFailure("x", provider="p"))
        ),
        id="nothing-after-the-end",
    ),
]

ECHOES = [
    pytest.param(ResponseEcho(), id="default-echo"),
    pytest.param(
        ResponseEcho(
            parallel_tool_calls=False,
            tool_choice=FunctionToolChoice(type="function", name="exec_command"),
            tools=TOOLS,
        ),
        id="echoed-tools",
    ),
    pytest.param(ResponseEcho(tool_choice="required", tools=TOOLS), id="required-tool"),
]


def _model_bytes(events: list[Any]) -> bytes:
    return b"".join(encode_event(event.type, event.to_wire()) for event in events)


def _item_ids(events: list[Any]) -> Iterator[str]:
    wires = [event.to_wire() for event in events]
    return iter([wire["item"]["id"] for wire in wires if wire["type"] == "response.output_item.added"])


@pytest.mark.parametrize("echo", ECHOES)
@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("encrypted", [True, False], ids=["encrypted-kept", "encrypted-left-out"])
def test_the_written_events_are_the_models_bytes(script: Script, echo: ResponseEcho, encrypted: bool) -> None:
    writer = ResponsesEventWriter(
        response_id="resp_oracle", model="gw-model", created_at=1700000000, echo=echo
    )
    written = script(writer)
    oracle = script(ModelWriter(_item_ids(written), echo=echo))
    if not encrypted:
        written, oracle = without_encrypted_reasoning(written), _seal_models(oracle)
    assert encode_named_events(written) == _model_bytes(oracle)
    assert [event.type for event in written] == [event.type for event in oracle]


def test_the_oracle_sees_a_difference() -> None:
    """A changed byte (here an item's status) is caught: the comparison is not vacuous."""
    writer = ResponsesEventWriter(response_id="resp_oracle", model="gw-model", created_at=1700000000)
    written = writer.text("x") + writer.complete(USAGE)
    oracle = ModelWriter(_item_ids(written), echo=ResponseEcho())
    expected = oracle.text("x") + oracle.complete(USAGE)
    expected[-1].response.output[0].status = "in_progress"
    assert encode_named_events(written) != _model_bytes(expected)
