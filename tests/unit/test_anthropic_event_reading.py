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
from coderouter_supervisor.worker.translate.anthropic_event_reading import read_stream_event


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
