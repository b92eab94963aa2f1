"""Plain delta events are built without validation: only where validating reads the same."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from coderouter_supervisor.worker.protocol import StreamEvent
from coderouter_supervisor.worker.translate.anthropic_event_reading import (
    plain_delta_event,
    read_stream_event,
)


def delta(index: Any, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": fields}


PLAIN = [
    pytest.param(delta(0, type="text_delta", text='hé "q"'), id="text"),
    pytest.param(delta(1, type="thinking_delta", thinking="so"), id="thinking"),
    pytest.param(delta(2, type="input_json_delta", partial_json='{"a":'), id="arguments"),
]

VALIDATED = [
    pytest.param(delta(0, type="signature_delta", signature="s"), id="signature"),
    pytest.param(delta(0, type="text_delta", text=5), id="text-not-string"),
    pytest.param(delta("0", type="text_delta", text="x"), id="index-not-int"),
    pytest.param(delta(0, type="text_delta", text="x", extra=1), id="delta-extra-field"),
    pytest.param(delta(0, type="text_delta"), id="no-text"),
    pytest.param({**delta(0, type="text_delta", text="x"), "extra": 1}, id="event-extra-field"),
    pytest.param({"type": "content_block_stop", "index": 0}, id="other-event"),
]


@pytest.mark.parametrize("event", PLAIN)
def test_a_plain_delta_reads_as_validation_does(event: dict[str, Any]) -> None:
    built = plain_delta_event(event)
    assert built is not None
    validated = TypeAdapter(StreamEvent).validate_python(event)
    assert type(built) is type(validated)
    assert type(built.delta) is type(validated.delta)
    assert built.to_wire() == validated.to_wire() == event
    assert read_stream_event(event).to_wire() == event


@pytest.mark.parametrize("event", VALIDATED)
def test_any_other_event_is_validated(event: dict[str, Any]) -> None:
    assert plain_delta_event(event) is None
