"""The direct chat -> Responses stream translator emits exactly what the chained one did.

The oracle is the chain the direct translator replaced: chat chunks made Anthropic events by
``OpenAIToAnthropicStream``, serialised, parsed again and made Responses events by
``AnthropicToResponsesStream``. Both run over the same chunks; their SSE bytes are compared with
the random ids (fresh item, call and response ids) numbered in order of appearance.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from coderouter_supervisor.worker.errors import ContextOverflow, GatewayError
from coderouter_supervisor.worker.protocol import MessageStopEvent, ResponsesEvent, encode_event
from coderouter_supervisor.worker.translate import (
    AnthropicToResponsesStream,
    DeclaredName,
    OpenAIToAnthropicStream,
    OpenAIToResponsesStream,
    ResponseEcho,
    TextFilter,
    ToolNames,
    UsageReport,
    build_filter_chain,
)

from support.chat_chunks import call, chunk

NAMES = ToolNames({"multi_agent_v1__close_agent": DeclaredName("close_agent", "multi_agent_v1")})
ECHO = ResponseEcho(parallel_tool_calls=False, tool_choice="required", tools=({"type": "function"},))
USAGE = {
    "prompt_tokens": 120,
    "completion_tokens": 30,
    "total_tokens": 150,
    "prompt_tokens_details": {"cached_tokens": 100},
    "completion_tokens_details": {"reasoning_tokens": 7},
}


@dataclass(frozen=True)
class Case:
    chunks: list[dict[str, Any]]
    error: GatewayError | None = None  # ends the stream with finish_with_error instead of finish
    filters: tuple[str, ...] = ()
    declared: frozenset[str] = frozenset()
    settings: dict[str, Any] = field(default_factory=dict)


CASES = [
    pytest.param(
        Case(
            [
                chunk({"role": "assistant", "content": ""}),
                chunk({"reasoning_content": "Let me "}),
                chunk({"reasoning": "look."}),
                chunk({"content": "Listing "}),
                chunk({"content": "files."}),
                chunk(call(0, call_id="call_a", name="exec_command", arguments='{"cmd":')),
                chunk(call(0, arguments='"ls"}')),
                chunk(
                    call(1, call_id="call_b", name="multi_agent_v1__close_agent", arguments="{}"),
                    finish="tool_calls",
                ),
                {"id": "chatcmpl-1", "choices": [], "usage": USAGE},
            ]
        ),
        id="reasoning-text-parallel-tool-calls-usage",
    ),
    pytest.param(Case([]), id="empty-stream"),
    pytest.param(Case([chunk({"role": "assistant"}), chunk(finish="stop")]), id="no-content"),
    pytest.param(Case([chunk({"content": "Hi"}), chunk(finish="length")]), id="length-incomplete"),
    pytest.param(
        Case([chunk({"content": "I can't"}), chunk(finish="content_filter")]), id="refusal-incomplete"
    ),
    pytest.param(
        Case([chunk({"content": "x"}, usage=USAGE), chunk({"content": "y"}, finish="stop", usage=USAGE)]),
        id="running-usage",
    ),
    pytest.param(
        Case(
            [
                chunk(call(0, call_id="c0", name="read", arguments='{"a":')),
                chunk(call(1, call_id="c1", name="write", arguments='{"b":')),
                chunk(call(0, arguments="1}")),
                chunk(call(1, arguments="2}")),
                chunk({"content": "after the calls"}),
                chunk({"reasoning_content": "late thought"}),
                chunk({"content": "  "}, finish="tool_calls"),
            ]
        ),
        id="interleaved-calls-late-fragments-held-text",
    ),
    pytest.param(
        Case([chunk(call(0, name="noid", arguments=None)), chunk(finish="stop")]),
        id="call-without-id-or-arguments",
    ),
    pytest.param(
        Case([chunk(call(0, call_id="c0", name="x")), chunk({"content": "   "}), chunk(finish="stop")]),
        id="whitespace-after-call-dropped",
    ),
    pytest.param(
        Case(
            [
                chunk({"content": "first"}),
                chunk({"reasoning_content": "then thinking"}),
                chunk({"content": "then text"}, model="qwen-2"),
                {"choices": "not a list"},
                chunk(finish="stop"),
            ]
        ),
        id="text-thinking-text-skipped-chunk-model-change",
    ),
    pytest.param(
        Case(
            [
                {"choices": [{"delta": {"content": "no ids"}}]},
                {"choices": [{"delta": {}, "finish_reason": "stop"}]},
            ]
        ),
        id="chunks-without-id-or-model",
    ),
    pytest.param(
        Case(
            [
                chunk({"content": "<think>hidden</think>Shown "}),
                chunk({"content": 'text <tool_call>{"name": "Bash", "arguments": {"command": "ls"}}'}),
                chunk({"content": "</tool_call> done"}, finish="stop"),
            ],
            filters=("strip_thinking",),
            declared=frozenset({"Bash"}),
        ),
        id="filters-and-repaired-call",
    ),
    pytest.param(
        Case([chunk({"content": "partial"})], error=ContextOverflow("too long", provider="local")),
        id="failure-after-content",
    ),
    pytest.param(
        Case([chunk({"role": "assistant"})], error=ContextOverflow("too long", provider="local")),
        id="failure-before-content",
    ),
    pytest.param(
        Case(
            [chunk({"content": "x"})], settings={"response_id": "resp_given", "echo": ECHO, "input_tokens": 9}
        ),
        id="given-response-id-and-echo",
    ),
]


Frames = list[tuple[bytes, bool, UsageReport]]


def encode_responses_events(events: list[ResponsesEvent]) -> bytes:
    return b"".join(encode_event(event.type, event.to_wire()) for event in events)


def _drive(
    chunks: list[dict[str, Any]],
    error: GatewayError | None,
    feed: Callable[[dict[str, Any]], list[ResponsesEvent]],
    finish: Callable[[], list[ResponsesEvent]],
    fail: Callable[[GatewayError], list[ResponsesEvent]],
    state: Callable[[], tuple[bool, UsageReport]],
) -> Frames:
    frames: Frames = []
    for item in chunks:
        frames.append((encode_responses_events(feed(item)), *state()))
    ending = fail(error) if error is not None else finish()
    frames.append((encode_responses_events(ending), *state()))
    frames.append((encode_responses_events(feed(chunk({"content": "after the end"})) + finish()), *state()))
    return frames


def _filter(case: Case) -> TextFilter | None:
    return build_filter_chain(list(case.filters)) if case.filters else None


def chained(case: Case) -> Frames:
    chunks = OpenAIToAnthropicStream(
        model="gw-model",
        provider="local",
        input_tokens=case.settings.get("input_tokens", 0),
        text_filter=_filter(case),
        declared_tools=case.declared,
    )
    events = AnthropicToResponsesStream(
        model="gw-model",
        provider="local",
        created_at=1700000000,
        tool_names=NAMES,
        echo=case.settings.get("echo"),
        response_id=case.settings.get("response_id"),
    )

    def feed(item: dict[str, Any]) -> list[ResponsesEvent]:
        return [out for event in chunks.feed(item) for out in events.feed(event.to_wire())]

    def finish() -> list[ResponsesEvent]:
        closing = [event for event in chunks.finish() if not isinstance(event, MessageStopEvent)]
        out = [response for event in closing for response in events.feed(event.to_wire())]
        return out + events.finish_with_usage(chunks.report.usage)

    def fail(error: GatewayError) -> list[ResponsesEvent]:
        chunks.finish_with_error(error)
        return events.finish_with_error(error)

    return _drive(case.chunks, case.error, feed, finish, fail, lambda: (events.started, chunks.report))


def direct(case: Case) -> Frames:
    stream = OpenAIToResponsesStream(
        model="gw-model",
        provider="local",
        created_at=1700000000,
        tool_names=NAMES,
        text_filter=_filter(case),
        declared_tools=case.declared,
        **case.settings,
    )
    state = lambda: (stream.started, stream.report)  # noqa: E731
    return _drive(case.chunks, case.error, stream.feed, stream.finish, stream.finish_with_error, state)


_FRESH_ID = re.compile(rb"(resp_|msg_|fc_|rs_|toolu_)[0-9a-f]{24}")


def numbered(frames: Frames) -> list[tuple[bytes, bool, UsageReport]]:
    seen: dict[bytes, bytes] = {}

    def number(match: re.Match[bytes]) -> bytes:
        return seen.setdefault(match.group(0), b"<id%d>" % len(seen))

    return [(_FRESH_ID.sub(number, data), started, report) for data, started, report in frames]


@pytest.mark.parametrize("case", CASES)
def test_direct_translation_matches_the_chain(case: Case) -> None:
    expected = numbered(chained(case))
    assert any(data for data, _, _ in expected)  # the case produced something to compare
    assert numbered(direct(case)) == expected


def test_an_error_chunk_raises_the_same_error() -> None:
    error_chunk = {"error": {"message": "overloaded", "type": "server_error", "code": 503}}
    stream = OpenAIToResponsesStream(model="m", provider="local", created_at=1)
    oracle = OpenAIToAnthropicStream(model="m", provider="local")
    with pytest.raises(Exception) as expected:
        oracle.feed(error_chunk)
    with pytest.raises(type(expected.value)) as got:
        stream.feed(error_chunk)
    assert str(got.value) == str(expected.value)
