"""Both translators of a Responses upstream skip an event that fits no model, count it, read on."""

from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.translate import ResponsesToAnthropicStream, ResponsesToOpenAIStream

MALFORMED = {"type": "response.created", "response": "not an object"}
TEXT = {
    "type": "response.output_text.delta",
    "item_id": "m",
    "output_index": 0,
    "content_index": 0,
    "delta": "hi",
}


def _wires(events: list[Any]) -> list[dict[str, Any]]:
    return [event.to_wire() for event in events]


@pytest.mark.parametrize(
    "stream",
    [
        pytest.param(
            lambda: ResponsesToOpenAIStream(model="m", created=1, provider="p", include_usage=False),
            id="to-chat",
        ),
        pytest.param(lambda: ResponsesToAnthropicStream(model="m", provider="p"), id="to-anthropic"),
    ],
)
def test_a_malformed_event_is_skipped_and_counted(stream: Any) -> None:
    translator = stream()
    assert translator.feed(MALFORMED) == []
    assert translator.skipped_events == 1
    after = _wires(translator.feed(TEXT))
    assert "hi" in repr(after)  # the stream goes on
    assert translator.skipped_events == 1
