"""The direct Responses -> Anthropic stream translator emits exactly what the chained one did.

The oracle is the chain the direct translator replaced: Responses events made chat chunks by
``ResponsesToOpenAIStream``, serialised and made Anthropic events by ``OpenAIToAnthropicStream``.
Both run over the same events; their SSE bytes, ``started``, ``usage`` and usage report are compared
after each event, with the random ids (fresh message, completion and tool-use ids) numbered in
order of appearance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from coderouter_supervisor.worker.errors import GatewayError, UpstreamTimeout
from coderouter_supervisor.worker.protocol import AnthropicEvent, encode_event
from coderouter_supervisor.worker.translate import (
    OpenAIToAnthropicStream,
    OpenAIToResponsesStream,
    ResponsesToAnthropicStream,
    ResponsesToOpenAIStream,
    TokenUsage,
    UsageReport,
    build_filter_chain,
)
from coderouter_supervisor.worker.translate.responses_event_reading import _EVENT, ignored, plain_delta

from support.chat_chunks import call, chunk

USAGE = {
    "input_tokens": 120,
    "output_tokens": 30,
    "total_tokens": 150,
    "input_tokens_details": {"cached_tokens": 100},
    "output_tokens_details": {"reasoning_tokens": 7},
}


def response(status: str, **fields: Any) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "model": "gpt-up", "status": status, "output": []} | fields


def created(**fields: Any) -> dict[str, Any]:
    return {"type": "response.created", "response": response("in_progress", **fields)}


def completed(usage: dict[str, Any] | None = USAGE, **fields: Any) -> dict[str, Any]:
    return {"type": "response.completed", "response": response("completed", usage=usage, **fields)}


def text(delta: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 1,
        "content_index": 0,
        "delta": delta,
    } | extra


def summary(delta: str) -> dict[str, Any]:
    return {
        "type": "response.reasoning_summary_text.delta",
        "item_id": "rs_1",
        "output_index": 0,
        "summary_index": 0,
        "delta": delta,
    }


def call_item(
    done: bool, index: int, call_id: str, name: str, arguments: str = "", **extra: Any
) -> dict[str, Any]:
    item = {
        "type": "function_call",
        "id": f"fc_{index}",
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }
    kind = "response.output_item.done" if done else "response.output_item.added"
    return {"type": kind, "output_index": index, "item": item | extra}


def arguments(index: int, delta: str) -> dict[str, Any]:
    return {
        "type": "response.function_call_arguments.delta",
        "item_id": f"fc_{index}",
        "output_index": index,
        "delta": delta,
    }


def unknown(kind: str, delta: Any) -> dict[str, Any]:
    return {"type": kind, "item_id": "x", "output_index": 0, "delta": delta}


@dataclass(frozen=True)
class Case:
    events: list[dict[str, Any]]
    error: GatewayError | None = None  # ends the stream with finish_with_error instead of finish
    filters: tuple[str, ...] = ()
    declared: frozenset[str] = frozenset()


def written_stream() -> list[dict[str, Any]]:
    """A whole stream as a Responses server writes it (parts, done events, message and reasoning
    items): our own writer's output for a chat answer with reasoning, text and a tool call."""
    writer = OpenAIToResponsesStream(model="gpt-up", provider="local", created_at=1)
    chunks = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"reasoning_content": "Think."}),
        chunk({"content": "Listing "}),
        chunk({"content": "files."}),
        chunk(call(0, call_id="call_a", name="exec_command", arguments='{"cmd":')),
        chunk(call(0, arguments='"ls"}'), finish="tool_calls"),
    ]
    events = [event for item in chunks for event in writer.feed(item)] + writer.finish()
    return [event.to_wire() for event in events]


CASES = [
    pytest.param(Case(written_stream()), id="whole-written-stream"),
    pytest.param(
        Case(
            [
                created(),
                {"type": "response.in_progress", "response": response("in_progress")},
                summary("Let me "),
                summary("look."),
                text("Listing "),
                text("files.", sequence_number=7, logprobs=[]),
                call_item(False, 2, "call_a", "exec_command"),
                arguments(2, '{"cmd":'),
                arguments(2, '"ls"}'),
                call_item(True, 2, "call_a", "exec_command", '{"cmd":"ls"}'),
                call_item(False, 3, "call_b", "close_agent", namespace="multi_agent_v1"),
                call_item(True, 3, "call_b", "close_agent", "{}", namespace="multi_agent_v1"),
                completed(),
            ]
        ),
        id="reasoning-text-calls-usage",
    ),
    pytest.param(
        Case([created(), text("Hello"), text(""), text(" there"), completed(usage=None)]), id="no-usage"
    ),
    pytest.param(
        Case(
            [
                created(),
                text("cut"),
                {
                    "type": "response.incomplete",
                    "response": response(
                        "incomplete", incomplete_details={"reason": "max_output_tokens"}, usage=USAGE
                    ),
                },
            ]
        ),
        id="incomplete-length",
    ),
    pytest.param(Case([text("no created event"), completed()]), id="fresh-ids"),
    pytest.param(Case([created(), completed()]), id="empty-answer"),
    pytest.param(Case([]), id="nothing-then-finish"),
    pytest.param(Case([created(), text("half")]), id="ended-without-completed"),
    pytest.param(
        Case([created(), text("half")], error=UpstreamTimeout("slow", provider="up")), id="error-after-start"
    ),
    pytest.param(
        Case(
            [
                created(),
                unknown("response.reasoning_text.delta", "raw thought"),
                unknown("response.reasoning_text.delta", 3),
                unknown("response.refusal.delta", "no"),
                unknown("response.web_search_call.searching", "x"),
                text("answer"),
                completed(),
            ]
        ),
        id="raw-reasoning-refusal-unknown",
    ),
    pytest.param(
        Case([created(), unknown("response.refusal.delta", "I can't"), completed()]), id="refusal-only"
    ),
    pytest.param(
        Case([unknown("response.refusal.delta", "no"), created(), text("late id"), completed()]),
        id="refusal-before-created",
    ),
    pytest.param(
        Case(
            [
                created(),
                call_item(False, 0, "c1", "f"),
                call_item(True, 0, "c1", "f", '{"a":1}'),
                completed(),
            ]
        ),
        id="arguments-only-with-done-item",
    ),
    pytest.param(
        Case(
            [
                created(),
                call_item(False, 0, "c1", "f"),
                call_item(False, 1, "c2", "g"),
                arguments(0, '{"late":1}'),
                arguments(1, "{}"),
                arguments(5, "{}"),
                call_item(True, 0, "c1", "f", '{"late":1}'),
                call_item(True, 1, "c2", "g", "{}"),
                completed(),
            ]
        ),
        id="interleaved-calls",
    ),
    pytest.param(
        Case(
            [
                created(),
                call_item(False, 0, "c1", "f"),
                arguments(0, "{}"),
                text("after the call"),
                completed(),
            ]
        ),
        id="text-after-call",
    ),
    pytest.param(
        Case(
            [
                created(),
                {"type": "response.output_text.delta", "delta": "missing fields"},
                text("x", item_id=5),
                text("y", extra_field=True),
                {"type": "response.output_item.added", "output_index": 0, "item": {"type": "function_call"}},
                summary("thinking"),
                completed(),
            ]
        ),
        id="invalid-and-unusual-events",
    ),
    pytest.param(
        Case(
            [created(), summary("thought"), call_item(False, 0, "c", "f"), summary("after call"), completed()]
        ),
        id="reasoning-after-call",
    ),
    pytest.param(
        Case(
            [created(), text("<think>hidden</think>sh"), text("own"), completed()],
            filters=("strip_thinking",),
        ),
        id="output-filter",
    ),
    pytest.param(
        Case(
            [
                created(),
                text('<tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>'),
                completed(),
            ],
            declared=frozenset({"read_file"}),
        ),
        id="tool-call-written-as-text",
    ),
]


class Chained:
    """The translation as it was: Responses events -> chat chunks -> Anthropic events."""

    def __init__(self, case: Case) -> None:
        self._chunks = ResponsesToOpenAIStream(model="m", created=0, provider="up", include_usage=True)
        self._events = OpenAIToAnthropicStream(
            model="m",
            provider="up",
            input_tokens=11,
            text_filter=build_filter_chain(list(case.filters)) if case.filters else None,
            declared_tools=case.declared,
        )

    def feed(self, event: dict[str, Any]) -> list[AnthropicEvent]:
        events: list[AnthropicEvent] = []
        for made in self._chunks.feed(event):
            events.extend(self._events.feed(made.to_wire()))
        if self._chunks.finished:
            events.extend(self._events.finish())
        return events

    def finish(self) -> list[AnthropicEvent]:
        events: list[AnthropicEvent] = []
        for made in self._chunks.finish():
            events.extend(self._events.feed(made.to_wire()))
        return events + self._events.finish()

    def finish_with_error(self, error: GatewayError) -> list[AnthropicEvent]:
        self._chunks.finish_with_error(error)
        return self._events.finish_with_error(error)

    @property
    def started(self) -> bool:
        return self._events.started

    @property
    def usage(self) -> TokenUsage:
        return self._events.usage

    @property
    def report(self) -> UsageReport:
        return self._chunks.report


def direct(case: Case) -> ResponsesToAnthropicStream:
    return ResponsesToAnthropicStream(
        model="m",
        provider="up",
        input_tokens=11,
        text_filter=build_filter_chain(list(case.filters)) if case.filters else None,
        declared_tools=case.declared,
    )


Frames = list[tuple[bytes, bool, TokenUsage, UsageReport]]


def run(case: Case, stream: Chained | ResponsesToAnthropicStream) -> Frames:
    """Frames after each event, after the ending, and after events that come too late."""

    def frame(events: list[AnthropicEvent]) -> tuple[bytes, bool, TokenUsage, UsageReport]:
        data = b"".join(encode_event(event.type, event.to_wire()) for event in events)
        return data, stream.started, stream.usage, stream.report

    frames = [frame(stream.feed(event)) for event in case.events]
    frames.append(frame(stream.finish_with_error(case.error) if case.error else stream.finish()))
    frames.extend(frame(stream.feed(event)) for event in (text("after the end"), completed()))
    return frames


_FRESH_ID = re.compile(rb"(msg_|toolu_|chatcmpl-)[0-9a-f]{24}")


def numbered(frames: Frames) -> list[tuple[bytes, bool, TokenUsage, UsageReport]]:
    seen: dict[bytes, bytes] = {}

    def number(match: re.Match[bytes]) -> bytes:
        return seen.setdefault(match.group(0), b"<id%d>" % len(seen))

    return [(_FRESH_ID.sub(number, data), *rest) for data, *rest in frames]  # type: ignore[misc]


@pytest.mark.parametrize("case", CASES)
def test_direct_translation_matches_the_chain(case: Case) -> None:
    expected = numbered(run(case, Chained(case)))
    assert any(data for data, *_ in expected)  # the case produced something to compare
    assert numbered(run(case, direct(case))) == expected


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(text("a"), id="text"),
        pytest.param(text("b", sequence_number=4, logprobs=[]), id="text-all-fields"),
        pytest.param(summary("c"), id="summary"),
        pytest.param(arguments(2, "{"), id="arguments"),
    ],
)
def test_a_plain_delta_reads_as_the_validated_model(event: dict[str, Any]) -> None:
    plain = plain_delta(event)
    validated = _EVENT.validate_python(event)
    assert plain == (validated.type, validated.output_index, validated.delta)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(text("x", item_id=5), id="wrong-type"),
        pytest.param(text("y", extra=1), id="extra-field"),
        pytest.param(text("z", sequence_number=True), id="bool-for-int"),
        pytest.param({"type": "response.output_text.delta", "delta": "d"}, id="missing-fields"),
        pytest.param(unknown("response.refusal.delta", "d"), id="other-type"),
    ],
)
def test_any_other_event_is_not_read_directly(event: dict[str, Any]) -> None:
    assert plain_delta(event) is None


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param({"type": "response.content_part.added", "part": {}}, True, id="part-added"),
        pytest.param({"type": "response.output_text.done", "text": "all"}, True, id="text-done"),
        pytest.param({"type": "response.function_call_arguments.done"}, True, id="arguments-done"),
        pytest.param({"type": "response.reasoning_summary_text.done"}, True, id="summary-done"),
        pytest.param(
            {"type": "response.output_item.done", "item": {"type": "message", "content": []}},
            True,
            id="message-item",
        ),
        pytest.param(call_item(False, 0, "c", "f"), False, id="function-call-item"),
        pytest.param({"type": "response.output_item.added", "item": "junk"}, False, id="malformed-item"),
        pytest.param(
            {"type": "response.output_item.added", "item": {"type": 1}}, False, id="item-type-not-string"
        ),
        pytest.param(text("a"), False, id="text-delta"),
        pytest.param(completed(), False, id="lifecycle"),
        pytest.param(unknown("response.refusal.delta", "no"), False, id="refusal"),
    ],
)
def test_only_events_no_translator_reads_are_ignored(event: dict[str, Any], expected: bool) -> None:
    assert ignored(event) is expected
