"""The per-token events skip the pydantic dump; what reaches the wire must not change."""

from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.adapters.event_frames import encode_chunks, encode_named_events, event_json
from coderouter_supervisor.worker.protocol import (
    AnthropicEvent,
    ArgumentsDeltaEvent,
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    CompletionUsage,
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    DeltaFunction,
    DeltaToolCall,
    InputJSONDelta,
    MessageDelta,
    MessageDeltaEvent,
    MessageDeltaUsage,
    ResponsesEvent,
    SignatureDelta,
    SummaryTextDeltaEvent,
    TextDelta,
    TextDeltaEvent,
    ThinkingDelta,
    encode_data,
    encode_event,
    encode_json,
)

EVENTS = [
    pytest.param(
        TextDeltaEvent(
            type="response.output_text.delta",
            sequence_number=4,
            item_id="msg_1",
            output_index=0,
            content_index=0,
            delta='ünï "quoted"\n',
        ),
        id="responses-text-delta",
    ),
    pytest.param(
        SummaryTextDeltaEvent(
            type="response.reasoning_summary_text.delta",
            sequence_number=2,
            item_id="rs_1",
            output_index=1,
            summary_index=0,
            delta="hmm",
        ),
        id="responses-summary-delta",
    ),
    pytest.param(
        ArgumentsDeltaEvent(
            type="response.function_call_arguments.delta", item_id="fc_1", output_index=2, delta='{"a":'
        ),
        id="responses-arguments-delta",
    ),
    pytest.param(ContentBlockDeltaEvent(index=1, delta=TextDelta(text="hi")), id="anthropic-text-delta"),
    pytest.param(
        ContentBlockDeltaEvent(index=0, delta=ThinkingDelta(thinking="so")), id="anthropic-thinking"
    ),
    pytest.param(
        ContentBlockDeltaEvent(index=2, delta=InputJSONDelta(partial_json='{"x"')), id="anthropic-arguments"
    ),
    pytest.param(ContentBlockStopEvent(index=3), id="anthropic-block-stop"),
    pytest.param(
        ContentBlockDeltaEvent(index=0, delta=SignatureDelta(signature="sig")), id="other-delta-dumped"
    ),
    pytest.param(
        MessageDeltaEvent(
            delta=MessageDelta(stop_reason="end_turn"), usage=MessageDeltaUsage(output_tokens=3)
        ),
        id="other-event-dumped",
    ),
    pytest.param(
        ContentBlockDeltaEvent.model_validate(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "a"}, "x": 1}
        ),
        id="extra-field-dumped",
    ),
]


@pytest.mark.parametrize("event", EVENTS)
def test_the_wire_form_is_the_dumped_one(event: AnthropicEvent | ResponsesEvent) -> None:
    assert encode_named_events([event]) == encode_event(event.type, event.to_wire())
    assert event_json(event) == encode_json(event.to_wire())  # same keys, same order, same values


def _chunk(**delta: Any) -> ChatCompletionChunk:
    return ChatCompletionChunk(
        id="chatcmpl-1", model="m", choices=[ChunkChoice(index=0, delta=ChoiceDelta(**delta))]
    )


CHUNKS = [
    pytest.param(_chunk(content="hé"), id="text"),
    pytest.param(_chunk(role="assistant", content=""), id="role"),
    pytest.param(_chunk(reasoning_content="hmm"), id="reasoning"),
    pytest.param(
        _chunk(
            tool_calls=[DeltaToolCall(index=0, id="c", type="function", function=DeltaFunction(name="f"))]
        ),
        id="tool-call-start",
    ),
    pytest.param(
        _chunk(tool_calls=[DeltaToolCall(index=1, function=DeltaFunction(arguments='{"a"'))]), id="arguments"
    ),
    pytest.param(
        ChatCompletionChunk(id="x", created=5, model="m", choices=[ChunkChoice(finish_reason="stop")]),
        id="finish",
    ),
    pytest.param(
        ChatCompletionChunk(
            id="x", model="m", usage=CompletionUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3)
        ),
        id="usage-dumped",
    ),
]


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_chunks_wire_form_is_the_dumped_one(chunk: ChatCompletionChunk) -> None:
    assert encode_chunks([chunk]) == encode_data(chunk.to_wire())
