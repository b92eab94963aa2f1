"""Anthropic stream events read as their models, deltas included."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from coderouter_supervisor.worker.protocol import (
    ContentBlockDeltaEvent,
    InputJSONDelta,
    TextDelta,
    ThinkingDelta,
)
from coderouter_supervisor.worker.translate.anthropic_event_reading import (
    plain_block_delta,
    read_stream_event,
)


def delta(index: Any, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": fields}


@pytest.mark.parametrize(
    ("event", "delta_type"),
    [
        pytest.param(delta(0, type="text_delta", text='hé "q"'), TextDelta, id="text"),
        pytest.param(delta(1, type="thinking_delta", thinking="so"), ThinkingDelta, id="thinking"),
        pytest.param(delta(2, type="input_json_delta", partial_json='{"a":'), InputJSONDelta, id="arguments"),
    ],
)
def test_a_delta_reads_as_its_model(event: dict[str, Any], delta_type: type[Any]) -> None:
    read = read_stream_event(event)
    assert type(read) is ContentBlockDeltaEvent
    assert type(read.delta) is delta_type
    assert read.to_wire() == event


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(delta(0, type="text_delta", text=5), id="text-not-string"),
        pytest.param(delta(0, type="text_delta"), id="no-text"),
    ],
)
def test_a_malformed_delta_is_refused(event: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        read_stream_event(event)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        pytest.param(delta(0, type="text_delta", text='hé "q"'), (0, "text", 'hé "q"'), id="text"),
        pytest.param(delta(1, type="thinking_delta", thinking="so"), (1, "thinking", "so"), id="thinking"),
        pytest.param(
            delta(2, type="input_json_delta", partial_json='{"a":'),
            (2, "tool_use", '{"a":'),
            id="arguments",
        ),
        pytest.param(delta(0, type="text_delta", text=""), (0, "text", ""), id="empty-text"),
    ],
)
def test_a_plain_delta_is_read_without_its_model(event: dict[str, Any], expected: Any) -> None:
    assert plain_block_delta(event) == expected
    read = read_stream_event(event)  # the model reads the same from it
    assert (read.index, read.delta.to_wire()) == (expected[0], event["delta"])


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(delta(0, type="text_delta", text=5), id="text-not-string"),
        pytest.param(delta(0, type="text_delta"), id="no-text"),
        pytest.param(delta(True, type="text_delta", text="a"), id="index-bool"),
        pytest.param(delta("0", type="text_delta", text="a"), id="index-string"),
        pytest.param(delta(0, type="text_delta", text="a", extra=1), id="delta-extra-key"),
        pytest.param(delta(0, type="signature_delta", signature="s"), id="signature"),
        pytest.param(delta(0, type="citations_delta", citation={}), id="citation"),
        pytest.param(delta(0, type="text_delta", text="a") | {"error": {}}, id="event-extra-key"),
        pytest.param({"type": "content_block_stop", "index": 0}, id="not-a-delta"),
        pytest.param({"type": "content_block_delta", "index": 0, "delta": ["x"]}, id="delta-not-object"),
    ],
)
def test_anything_else_takes_the_model_path(event: dict[str, Any]) -> None:
    assert plain_block_delta(event) is None
