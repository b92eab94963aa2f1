from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from anthropic.lib.streaming._messages import accumulate_event
from openai.lib.streaming.chat._completions import ChatCompletionStreamState
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from coderouter_supervisor.worker.errors import ContextOverflow, MidStreamFailure, UpstreamTimeout
from coderouter_supervisor.worker.protocol import ResponsesEvent
from coderouter_supervisor.worker.translate import (
    AnthropicToResponsesStream,
    DeclaredName,
    OpenAIToResponsesStream,
    ResponsesToAnthropicStream,
    ResponsesToOpenAIStream,
    TokenUsage,
    ToolNames,
    build_filter_chain,
)

from support.chat_chunks import call, chunk
from support.responses_sdk import sdk_final_response

NAMES = ToolNames({"multi_agent_v1__close_agent": DeclaredName("close_agent", "multi_agent_v1")})


CHAT_STREAM: list[dict[str, Any]] = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"reasoning_content": "Let me "}),
    chunk({"reasoning_content": "look."}),
    chunk({"content": "Listing "}),
    chunk({"content": "files."}),
    chunk(call(0, call_id="call_a", name="exec_command", arguments='{"cmd":')),
    chunk(call(0, arguments='"ls"}')),
    chunk(call(1, call_id="call_b", name="multi_agent_v1__close_agent", arguments="{}"), finish="tool_calls"),
    {
        "id": "chatcmpl-1",
        "choices": [],
        "usage": {
            "prompt_tokens": 120,
            "completion_tokens": 30,
            "total_tokens": 150,
            "prompt_tokens_details": {"cached_tokens": 100},
            "completion_tokens_details": {"reasoning_tokens": 7},
        },
    },
]


def chat_to_responses(chunks: list[dict[str, Any]]) -> tuple[list[ResponsesEvent], OpenAIToResponsesStream]:
    stream = OpenAIToResponsesStream(
        model="gw-model", provider="local", created_at=1700000000, tool_names=NAMES
    )
    events = [event for item in chunks for event in stream.feed(item)]
    return [*events, *stream.finish()], stream


def assert_well_formed(events: list[ResponsesEvent]) -> None:
    wires = [event.to_wire() for event in events]
    assert [wire["sequence_number"] for wire in wires] == list(range(len(wires)))
    assert [wire["type"] for wire in wires[:2]] == ["response.created", "response.in_progress"]
    added = {
        wire["output_index"]: wire["item"] for wire in wires if wire["type"] == "response.output_item.added"
    }
    done = {
        wire["output_index"]: wire["item"] for wire in wires if wire["type"] == "response.output_item.done"
    }
    assert added.keys() == done.keys()
    for index, item in added.items():
        assert done[index]["id"] == item["id"]
        assert done[index]["status"] == "completed" if "status" in done[index] else True
    for wire in wires:
        if "item_id" in wire:
            assert wire["item_id"] == added[wire["output_index"]]["id"]
    assert wires[-1]["type"] in ("response.completed", "response.incomplete", "response.failed")


def test_chat_stream_through_the_sdk_responses_accumulator() -> None:
    events, stream = chat_to_responses(CHAT_STREAM)
    assert_well_formed(events)
    final = sdk_final_response(events)
    assert final.status == "completed"
    assert [item.type for item in final.output] == ["reasoning", "message", "function_call", "function_call"]
    assert final.output_text == "Listing files."
    reasoning = final.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].text == "Let me look."
    first, second = final.output[2], final.output[3]
    assert first.type == second.type == "function_call"
    assert (first.call_id, first.name, first.arguments, first.namespace) == (
        "call_a",
        "exec_command",
        '{"cmd":"ls"}',
        None,
    )
    # The namespaced tool comes back under the namespace and name the client declared.
    assert (second.call_id, second.name, second.namespace) == ("call_b", "close_agent", "multi_agent_v1")
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (120, 30, 150)
    assert final.usage.input_tokens_details.cached_tokens == 100
    assert final.usage.output_tokens_details.reasoning_tokens == 7
    assert stream.usage == TokenUsage(
        input_tokens=20, output_tokens=30, cache_read_tokens=100, reasoning_tokens=7
    )


def test_every_event_validates_as_the_sdk_event_type() -> None:
    events, _ = chat_to_responses(CHAT_STREAM)
    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    for event in events:
        adapter.validate_python(event.to_wire())


def test_an_upstream_without_usage_completes_with_null_usage() -> None:
    events, _ = chat_to_responses([chunk({"content": "hi"}, finish="stop")])
    final = events[-1].to_wire()
    assert final["type"] == "response.completed"
    assert final["response"]["usage"] is None
    assert sdk_final_response(events).output_text == "hi"


def test_an_empty_upstream_stream_still_completes() -> None:
    events, _ = chat_to_responses([])
    assert [event.type for event in events] == [
        "response.created",
        "response.in_progress",
        "response.completed",
    ]


def test_length_ends_incomplete() -> None:
    events, _ = chat_to_responses([chunk({"content": "cut"}, finish="length")])
    final = events[-1].to_wire()
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_nothing_is_emitted_before_content_so_a_failure_can_fail_over() -> None:
    stream = AnthropicToResponsesStream(model="m", provider="claude", created_at=1)
    start = {
        "type": "message_start",
        "message": {"id": "msg_1", "model": "claude-x", "content": [], "usage": {"input_tokens": 5}},
    }
    assert stream.feed(start) == []
    assert not stream.started
    assert stream.report.usage == TokenUsage(input_tokens=5)


def test_a_failure_after_the_first_byte_ends_with_response_failed() -> None:
    stream = OpenAIToResponsesStream(model="m", provider="local", created_at=1)
    first = stream.feed(chunk({"content": "partial"}))
    assert first
    assert stream.started
    ending = stream.finish_with_error(ContextOverflow("prompt too long", provider="local"))
    wire = ending[-1].to_wire()
    assert wire["type"] == "response.failed"
    assert wire["response"]["error"] == {"code": "context_length_exceeded", "message": "prompt too long"}
    assert wire["sequence_number"] == first[-1].sequence_number + 1
    assert stream.feed(chunk({"content": "more"})) == []
    assert stream.finish() == []


ANTHROPIC_STREAM: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [],
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 50, "cache_creation_input_tokens": 5},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Closing."}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {
            "type": "tool_use",
            "id": "toolu_1",
            "name": "multi_agent_v1__close_agent",
            "input": {},
        },
    },
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": '{"id":'},
    },
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "3}"}},
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 12}},
    {"type": "message_stop"},
]


def test_anthropic_stream_through_the_sdk_responses_accumulator() -> None:
    stream = AnthropicToResponsesStream(model="m", provider="claude", created_at=1, tool_names=NAMES)
    events = [event for item in ANTHROPIC_STREAM for event in stream.feed(item)]
    assert stream.finish() == []  # message_stop already ended it
    assert_well_formed(events)
    final = sdk_final_response(events)
    assert [item.type for item in final.output] == ["reasoning", "message", "function_call"]
    assert final.output_text == "Closing."
    tool = final.output[2]
    assert tool.type == "function_call"
    assert (tool.call_id, tool.name, tool.namespace, tool.arguments) == (
        "toolu_1",
        "close_agent",
        "multi_agent_v1",
        '{"id":3}',
    )
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens, final.usage.total_tokens) == (65, 12, 77)
    assert final.usage.input_tokens_details.cached_tokens == 50
    assert final.model == "claude-x"


def test_output_filters_rewrite_an_anthropic_streams_text_split_across_deltas() -> None:
    stream = AnthropicToResponsesStream(
        model="m", provider="claude", created_at=1, text_filter=build_filter_chain(["strip_thinking"])
    )
    pieces = ["Hi <thi", "nk>secret</th", "ink> there", " <thi"]  # the last one only looks like a tag
    upstream = [
        {"type": "message_start", "message": {**ANTHROPIC_STREAM[0]["message"]}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}
            for piece in pieces
        ),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}},
        {"type": "message_stop"},
    ]
    events = [event for item in upstream for event in stream.feed(item)]
    assert_well_formed(events)
    assert sdk_final_response(events).output_text == "Hi  there <thi"


@pytest.mark.parametrize(
    ("stop_reason", "reason"),
    [
        pytest.param("max_tokens", "max_output_tokens", id="max-tokens"),
        pytest.param("refusal", "content_filter", id="refusal"),
    ],
)
def test_anthropic_stops_that_end_incomplete(stop_reason: str, reason: str) -> None:
    stream = AnthropicToResponsesStream(model="m", provider="claude", created_at=1)
    stream.feed({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}})
    stream.feed(
        {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": {"output_tokens": 1}}
    )
    final = stream.feed({"type": "message_stop"})[-1].to_wire()
    assert final["type"] == "response.incomplete"
    assert final["response"]["incomplete_details"] == {"reason": reason}


def test_an_anthropic_error_event_raises_for_the_engine() -> None:
    stream = AnthropicToResponsesStream(model="m", provider="claude", created_at=1)
    with pytest.raises(MidStreamFailure):
        stream.feed({"type": "error", "error": {"type": "api_error", "message": "boom"}})


def responses_events() -> list[dict[str, Any]]:
    """What a Responses upstream streams: here, our own writer's output for CHAT_STREAM."""
    events, _ = chat_to_responses(CHAT_STREAM)
    return [event.to_wire() for event in events]


def test_responses_stream_through_the_sdk_chat_accumulator() -> None:
    stream = ResponsesToOpenAIStream(model="m", created=1, provider="openai", include_usage=True)
    chunks = [chunk for event in responses_events() for chunk in stream.feed(event)]
    assert stream.finish() == []
    state = ChatCompletionStreamState()
    for item in chunks:
        state.handle_chunk(openai.types.chat.ChatCompletionChunk.model_validate(item.to_wire()))
    final = state.get_final_completion()
    message = final.choices[0].message
    assert message.content == "Listing files."
    assert message.tool_calls is not None
    calls = [(tool.id, tool.function.name, tool.function.arguments) for tool in message.tool_calls]
    assert calls == [
        ("call_a", "exec_command", '{"cmd":"ls"}'),
        ("call_b", "multi_agent_v1__close_agent", "{}"),
    ]
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.usage is not None
    assert final.usage.prompt_tokens == 120
    assert final.usage.completion_tokens_details is not None
    assert final.usage.completion_tokens_details.reasoning_tokens == 7
    reasoning = "".join(item.choices[0].delta.reasoning_content or "" for item in chunks if item.choices)
    assert reasoning == "Let me look."


def test_arguments_sent_only_with_the_done_item_still_arrive() -> None:
    stream = ResponsesToOpenAIStream(model="m", created=1, provider="openai", include_usage=False)
    item = {"type": "function_call", "id": "fc_1", "call_id": "c1", "name": "f", "arguments": '{"a":1}'}
    stream.feed({"type": "response.output_item.added", "output_index": 0, "item": item | {"arguments": ""}})
    done = stream.feed({"type": "response.output_item.done", "output_index": 0, "item": item})
    assert [c.choices[0].delta.tool_calls[0].function.arguments for c in done] == ['{"a":1}']  # type: ignore[index,union-attr]


def test_responses_stream_through_the_anthropic_sdk_accumulator() -> None:
    stream = ResponsesToAnthropicStream(model="m", provider="openai")
    events = [event for wire in responses_events() for event in stream.feed(wire)]
    assert stream.finish() == []
    adapter: TypeAdapter[Any] = TypeAdapter(anthropic.types.RawMessageStreamEvent)
    snapshot = None
    buffers: dict[int, bytes] = {}
    for event in events:
        snapshot = accumulate_event(
            event=adapter.validate_python(event.to_wire()), current_snapshot=snapshot, json_bufs=buffers
        )
    assert snapshot is not None
    kinds = [block.type for block in snapshot.content]
    assert kinds == ["thinking", "text", "tool_use", "tool_use"]
    tool = snapshot.content[2]
    assert tool.type == "tool_use"
    assert (tool.id, tool.name, tool.input) == ("call_a", "exec_command", {"cmd": "ls"})
    assert snapshot.stop_reason == "tool_use"
    assert snapshot.usage.output_tokens == 30
    assert stream.report.usage == TokenUsage(
        input_tokens=20, output_tokens=30, cache_read_tokens=100, reasoning_tokens=7
    )


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(
            {
                "type": "response.failed",
                "response": {"id": "r", "error": {"code": "server_error", "message": "x"}},
            },
            MidStreamFailure,
            id="failed",
        ),
        pytest.param(
            {"type": "error", "code": "context_length_exceeded", "message": "too long"},
            ContextOverflow,
            id="error",
        ),
    ],
)
def test_upstream_failures_raise(event: dict[str, Any], expected: type[Exception]) -> None:
    for stream in (
        ResponsesToOpenAIStream(model="m", created=1, provider="openai", include_usage=True),
        ResponsesToAnthropicStream(model="m", provider="openai"),
    ):
        with pytest.raises(expected):
            stream.feed(event)


def test_a_failure_ends_a_started_responses_to_chat_stream_with_the_error_envelope() -> None:
    stream = ResponsesToOpenAIStream(model="m", created=1, provider="openai", include_usage=True)
    stream.feed(
        {
            "type": "response.output_text.delta",
            "item_id": "m",
            "output_index": 0,
            "content_index": 0,
            "delta": "x",
        }
    )
    [envelope] = stream.finish_with_error(UpstreamTimeout("slow", provider="openai"))
    assert envelope.error.message == "slow"
    assert stream.finish() == []
