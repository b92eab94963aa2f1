from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.lib.streaming._messages import accumulate_event
from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

from coderouter_supervisor.worker.errors import ContextOverflow, MidStreamFailure, UpstreamOutOfMemory
from coderouter_supervisor.worker.protocol import AnthropicEvent, encode_event
from coderouter_supervisor.worker.translate import OpenAIToAnthropicStream, ThinkingFilter
from coderouter_supervisor.worker.translate.usage import TokenUsage

SDK_EVENT: TypeAdapter[Any] = TypeAdapter(RawMessageStreamEvent)


def chunk(
    content: str | None = None,
    *,
    reasoning: str | None = None,
    reasoning_content: str | None = None,
    tools: list[dict[str, Any]] | None = None,
    finish: str | None = None,
    usage: dict[str, Any] | None = None,
    bare: bool = False,
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning"] = reasoning
    if reasoning_content is not None:
        delta["reasoning_content"] = reasoning_content
    if tools is not None:
        delta["tool_calls"] = tools
    body: dict[str, Any] = {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        body["usage"] = usage
    if not bare:
        body.update({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "qwen"})
    return body


def tool(
    index: int, *, id: str | None = None, name: str | None = None, args: str | None = None
) -> dict[str, Any]:
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if args is not None:
        function["arguments"] = args
    call: dict[str, Any] = {"index": index, "function": function}
    if id is not None:
        call.update({"id": id, "type": "function"})
    return call


def run(chunks: list[dict[str, Any]], **options: Any) -> tuple[list[dict[str, Any]], OpenAIToAnthropicStream]:
    stream = OpenAIToAnthropicStream(model=options.pop("model", "requested"), provider="local", **options)
    events: list[AnthropicEvent] = []
    for item in chunks:
        events += stream.feed(item)
    events += stream.finish()
    return [event.to_wire() for event in events], stream


def check_and_accumulate(events: list[dict[str, Any]]) -> Any:
    """Apply the rules clients enforce, then rebuild the message the way the SDK does."""
    assert events[0]["type"] == "message_start"
    assert [e["type"] for e in events].count("message_start") == 1
    assert events[-2]["type"] == "message_delta"
    assert events[-1]["type"] == "message_stop"
    assert "output_tokens" in events[-2]["usage"]
    open_blocks: dict[int, str] = {}
    closed: set[int] = set()
    allowed = {"text": "text_delta", "thinking": "thinking_delta", "tool_use": "input_json_delta"}
    for event in events:
        if event["type"] == "content_block_start":
            assert not open_blocks, "a block started while another was open"
            assert event["index"] == len(closed)
            open_blocks[event["index"]] = event["content_block"]["type"]
        elif event["type"] == "content_block_delta":
            assert event["delta"]["type"] == allowed[open_blocks[event["index"]]]
        elif event["type"] == "content_block_stop":
            open_blocks.pop(event["index"])
            closed.add(event["index"])
    assert not open_blocks
    snapshot = None
    buffers: dict[int, bytes] = {}
    for event in events:
        encode_event(event["type"], event)
        snapshot = accumulate_event(
            event=SDK_EVENT.validate_python(event), current_snapshot=snapshot, json_bufs=buffers
        )
    return snapshot


def test_plain_text_exact_sequence() -> None:
    events, stream = run(
        [
            chunk("", bare=False)
            | {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
            chunk("Hel"),
            chunk("lo", finish="stop"),
            {
                "id": "chatcmpl-1",
                "choices": [],
                "usage": {
                    "prompt_tokens": 30,
                    "completion_tokens": 2,
                    "total_tokens": 32,
                    "prompt_tokens_details": {"cached_tokens": 10},
                },
            },
        ],
        input_tokens=25,
    )
    assert events == [
        {
            "type": "message_start",
            "message": {
                "id": "msg_chatcmpl-1",
                "type": "message",
                "role": "assistant",
                "model": "qwen",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 25, "output_tokens": 0},
            },
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {
                "output_tokens": 2,
                "input_tokens": 20,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 10,
            },
        },
        {"type": "message_stop"},
    ]
    assert stream.usage == TokenUsage(input_tokens=20, output_tokens=2, cache_read_tokens=10)
    assert check_and_accumulate(events).content[0].text == "Hello"


def test_empty_upstream_stream_still_has_one_message_start() -> None:
    events, stream = run([])
    assert [e["type"] for e in events] == ["message_start", "message_delta", "message_stop"]
    assert events[0]["message"]["id"].startswith("msg_")
    assert events[0]["message"]["model"] == "requested"
    assert events[1]["delta"]["stop_reason"] == "end_turn"
    assert events[1]["usage"] == {"output_tokens": 0}
    check_and_accumulate(events)
    assert stream.started


def test_thinking_then_text_then_tools_with_streamed_arguments() -> None:
    events, _ = run(
        [
            chunk(reasoning_content="Let me "),
            chunk(reasoning="look."),
            chunk("Listing files."),
            chunk(tools=[tool(0, id="call_a", name="Bash", args="")]),
            chunk(tools=[tool(0, args='{"comm')]),
            chunk(tools=[tool(0, args='and": "ls"}')]),
            chunk(tools=[tool(1, id="call_b", name="Read", args='{"path": "a.txt"}')]),
            chunk(finish="stop"),
        ]
    )
    kinds = [
        (e["type"], e.get("index"), (e.get("delta") or e.get("content_block") or {}).get("type"))
        for e in events
    ]
    assert kinds == [
        ("message_start", None, None),
        ("content_block_start", 0, "thinking"),
        ("content_block_delta", 0, "thinking_delta"),
        ("content_block_delta", 0, "thinking_delta"),
        ("content_block_stop", 0, None),
        ("content_block_start", 1, "text"),
        ("content_block_delta", 1, "text_delta"),
        ("content_block_stop", 1, None),
        ("content_block_start", 2, "tool_use"),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_delta", 2, "input_json_delta"),
        ("content_block_stop", 2, None),
        ("content_block_start", 3, "tool_use"),
        ("content_block_delta", 3, "input_json_delta"),
        ("content_block_stop", 3, None),
        ("message_delta", None, None),
        ("message_stop", None, None),
    ]
    assert events[8]["content_block"] == {"type": "tool_use", "id": "call_a", "name": "Bash", "input": {}}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"  # even though the upstream said "stop"
    message = check_and_accumulate(events)
    assert message.content[0].thinking == "Let me look."
    assert message.content[2].input == {"command": "ls"}
    assert message.content[3].input == {"path": "a.txt"}
    partial = "".join(e["delta"]["partial_json"] for e in events if e.get("index") == 2 and "delta" in e)
    assert json.loads(partial) == {"command": "ls"}


def test_text_after_tool_calls_is_held_until_the_end() -> None:
    events, stream = run(
        [
            chunk(tools=[tool(0, id="c1", name="Bash", args='{"command":')]),
            chunk("\n"),
            chunk("Done?"),
            chunk(tools=[tool(0, args='"ls"}')]),
            chunk(finish="tool_calls"),
        ]
    )
    message = check_and_accumulate(events)
    assert [block.type for block in message.content] == ["tool_use", "text"]
    assert message.content[0].input == {"command": "ls"}
    assert message.content[1].text == "\nDone?"
    assert stream.late_tool_fragments == 0


def test_whitespace_after_tool_calls_is_dropped() -> None:
    events, _ = run([chunk(tools=[tool(0, id="c1", name="f", args="{}")]), chunk("\n\n")])
    assert [block.type for block in check_and_accumulate(events).content] == ["tool_use"]


def test_late_fragment_for_a_closed_tool_is_counted_not_misrouted() -> None:
    events, stream = run(
        [
            chunk(tools=[tool(0, id="c1", name="f", args='{"a":')]),
            chunk(tools=[tool(1, id="c2", name="g", args="{}")]),
            chunk(tools=[tool(0, args="1}")]),
        ]
    )
    check_and_accumulate(events)
    assert stream.late_tool_fragments == 1


def test_content_and_finish_in_one_chunk_and_missing_ids() -> None:
    events, _ = run([chunk("all at once", finish="length", bare=True)], model="asked-model")
    assert events[0]["message"]["model"] == "asked-model"
    assert events[0]["message"]["id"].startswith("msg_")
    assert events[-2]["delta"]["stop_reason"] == "max_tokens"
    assert check_and_accumulate(events).content[0].text == "all at once"


@pytest.mark.parametrize(
    ("finish", "stop_reason"),
    [
        pytest.param("stop", "end_turn", id="stop"),
        pytest.param("length", "max_tokens", id="length"),
        pytest.param("tool_calls", "end_turn", id="tool-calls-without-a-call"),
        pytest.param("content_filter", "refusal", id="content-filter"),
        pytest.param("something_new", "end_turn", id="unknown"),
        pytest.param(None, "end_turn", id="never-said"),
    ],
)
def test_finish_reasons(finish: str | None, stop_reason: str) -> None:
    events, _ = run([chunk("x", finish=finish)])
    assert events[-2]["delta"]["stop_reason"] == stop_reason


def test_usage_is_estimated_when_the_upstream_reports_none() -> None:
    _, stream = run([chunk("abcdefghi")], input_tokens=7)
    assert stream.usage == TokenUsage(input_tokens=7, output_tokens=3)


def test_nothing_is_emitted_before_content_so_the_engine_can_fail_over() -> None:
    stream = OpenAIToAnthropicStream(model="m", provider="p")
    assert stream.feed({"choices": [{"delta": {"role": "assistant", "content": ""}}]}) == []
    assert not stream.started
    with pytest.raises(ContextOverflow):
        stream.feed(
            {
                "error": {
                    "message": "The number of tokens to keep from the initial prompt is greater "
                    "than the context length."
                }
            }
        )


def test_mid_stream_error_ends_with_an_error_event() -> None:
    stream = OpenAIToAnthropicStream(model="m", provider="p")
    started = stream.feed(chunk("partial"))
    assert [e.type for e in started] == ["message_start", "content_block_start", "content_block_delta"]
    with pytest.raises(UpstreamOutOfMemory) as caught:
        stream.feed({"error": "CUDA out of memory"})
    tail = [e.to_wire() for e in stream.finish_with_error(caught.value)]
    assert tail == [{"type": "error", "error": {"type": "overloaded_error", "message": "CUDA out of memory"}}]
    assert stream.finish() == []
    assert stream.feed(chunk("more")) == []


def test_finish_with_error_after_finish_is_silent() -> None:
    stream = OpenAIToAnthropicStream(model="m", provider="p")
    stream.finish()
    assert stream.finish_with_error(MidStreamFailure("x", provider="p")) == []


def test_malformed_chunks_are_skipped_and_counted() -> None:
    events, stream = run([{"choices": "nonsense"}, chunk("ok")])
    assert stream.skipped_chunks == 1
    assert check_and_accumulate(events).content[0].text == "ok"


def test_text_filter_applies_to_content_across_chunks() -> None:
    events, _ = run([chunk("<thi"), chunk("nk>secret</th"), chunk("ink>Hello")], text_filter=ThinkingFilter())
    assert check_and_accumulate(events).content[0].text == "Hello"
