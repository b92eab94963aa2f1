from __future__ import annotations

from typing import Any

import openai
import pytest
from openai.lib.streaming.chat._completions import ChatCompletionStreamState

from coderouter_supervisor.worker.errors import MidStreamFailure, UpstreamOutOfMemory
from coderouter_supervisor.worker.protocol import DONE_FRAME, Message, SSEDecoder, encode_data
from coderouter_supervisor.worker.translate import AnthropicToOpenAIStream, anthropic_message_to_openai
from coderouter_supervisor.worker.translate.usage import TokenUsage


def test_message_to_completion() -> None:
    message = Message.model_validate(
        {
            "id": "msg_1",
            "model": "claude",
            "content": [
                {"type": "thinking", "thinking": "t", "signature": "s"},
                {"type": "text", "text": "a"},
                {"type": "server_tool_use", "id": "srv", "name": "web_search", "input": {}},
                {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"x": "é"}},
            ],
            "stop_reason": "tool_use",
            "usage": {
                "input_tokens": 10,
                "output_tokens": 5,
                "cache_read_input_tokens": 100,
                "cache_creation_input_tokens": 20,
            },
        }
    )
    wire = anthropic_message_to_openai(message, created=1700000000).to_wire()
    openai.types.chat.ChatCompletion.model_validate(wire)
    assert wire == {
        "id": "chatcmpl-msg_1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "claude",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "a",
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"x": "é"}'},
                        }
                    ],
                    "reasoning_content": "t",
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 130,
            "completion_tokens": 5,
            "total_tokens": 135,
            "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 20},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


@pytest.mark.parametrize(
    ("stop_reason", "finish_reason"),
    [
        pytest.param("end_turn", "stop", id="end_turn"),
        pytest.param("stop_sequence", "stop", id="stop_sequence"),
        pytest.param("max_tokens", "length", id="max_tokens"),
        pytest.param("tool_use", "tool_calls", id="tool_use"),
        pytest.param("refusal", "content_filter", id="refusal"),
        pytest.param("pause_turn", "stop", id="pause_turn"),
        pytest.param("model_context_window_exceeded", "length", id="window"),
        pytest.param("brand_new", "stop", id="unknown"),
        pytest.param(None, "stop", id="missing"),
    ],
)
def test_every_stop_reason_maps(stop_reason: str | None, finish_reason: str) -> None:
    message = Message.model_validate({"id": "m", "model": "c", "content": [], "stop_reason": stop_reason})
    wire = anthropic_message_to_openai(message, created=1).to_wire()
    assert wire["choices"][0]["finish_reason"] == finish_reason
    assert wire["choices"][0]["message"]["content"] is None


START = {
    "type": "message_start",
    "message": {
        "id": "msg_9",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 30},
    },
}

TOOL_STREAM: list[dict[str, Any]] = [
    START,
    {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    },
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hm"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "s"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "ping"},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "content_block_stop", "index": 1},
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
    },
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ""}},
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": '{"a":'},
    },
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "1}"}},
    {"type": "content_block_stop", "index": 2},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
        "usage": {"output_tokens": 7},
    },
    {"type": "message_stop"},
]


def run(events: list[dict[str, Any]], include_usage: bool = True) -> tuple[list[dict[str, Any]], Any]:
    stream = AnthropicToOpenAIStream(
        model="asked", created=5, provider="anthropic", include_usage=include_usage
    )
    chunks = [chunk for event in events for chunk in stream.feed(event)]
    chunks += stream.finish()
    return [chunk.to_wire() for chunk in chunks], stream


def test_stream_exact_chunks() -> None:
    chunks, stream = run(TOOL_STREAM)
    common = {"id": "chatcmpl-msg_9", "object": "chat.completion.chunk", "created": 5, "model": "claude"}

    def delta(body: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**common, "choices": [{"index": 0, "delta": body, "finish_reason": finish}]}

    assert chunks == [
        delta({"role": "assistant", "content": ""}),
        delta({"reasoning_content": "hm"}),
        delta({"content": "Hi"}),
        delta(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "toolu_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": ""},
                    }
                ]
            }
        ),
        delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":'}}]}),
        delta({"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]}),
        delta({}, "tool_calls"),
        {
            **common,
            "choices": [],
            "usage": {
                "prompt_tokens": 42,
                "completion_tokens": 7,
                "total_tokens": 49,
                "prompt_tokens_details": {"cached_tokens": 30},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
        },
    ]
    for chunk in chunks:
        openai.types.chat.ChatCompletionChunk.model_validate(chunk)
    assert stream.usage == TokenUsage(input_tokens=12, output_tokens=7, cache_read_tokens=30)


def test_stream_through_the_openai_sdk_accumulator() -> None:
    chunks, _ = run(TOOL_STREAM)
    body = b"".join(encode_data(chunk) for chunk in chunks) + DONE_FRAME
    frames = SSEDecoder().feed(body)
    assert frames[-1].data == "[DONE]"
    state = ChatCompletionStreamState()
    for frame in frames[:-1]:
        state.handle_chunk(openai.types.chat.ChatCompletionChunk.model_validate_json(frame.data))
    final = state.get_final_completion()
    assert final.choices[0].message.tool_calls is not None
    assert final.choices[0].message.tool_calls[0].function.arguments == '{"a":1}'
    assert final.choices[0].message.content == "Hi"


def test_without_include_usage_no_usage_chunk() -> None:
    chunks, _ = run(TOOL_STREAM, include_usage=False)
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_upstream_that_ends_without_message_stop() -> None:
    chunks, _ = run([START], include_usage=False)
    assert [c["choices"][0]["delta"] for c in chunks] == [{"role": "assistant", "content": ""}, {}]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_error_event_raises_and_ends_with_an_error_payload() -> None:
    stream = AnthropicToOpenAIStream(model="m", created=1, provider="a", include_usage=True)
    stream.feed(START)
    assert not stream.started
    with pytest.raises(MidStreamFailure) as caught:
        stream.feed({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    tail = [item.to_wire() for item in stream.finish_with_error(caught.value)]
    # The upstream's "overloaded" verdict survives, so OpenAI clients can tell it from a broken stream.
    expected = {"message": "Overloaded", "type": "server_error", "param": None, "code": "overloaded"}
    assert tail == [{"error": expected}]
    assert stream.finish() == []
    assert stream.finish_with_error(UpstreamOutOfMemory("x", provider="a")) == []


def test_unknown_and_malformed_events_are_tolerated() -> None:
    chunks, stream = run([START, {"type": "brand_new"}, {"type": "content_block_delta"}, TOOL_STREAM[-1]])
    assert stream.skipped_events == 1
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
