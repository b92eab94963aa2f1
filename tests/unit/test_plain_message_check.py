"""An Anthropic passthrough answer checked without the model: whatever the quick check lets through,
the ``Message`` model accepts too, and the client gets what the full check would give it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from coderouter_supervisor.worker.adapters.answer_reading import (
    _is_plain_message,
    message_as_answered,
    read_message,
)
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import UpstreamHTTPError
from coderouter_supervisor.worker.protocol import Message

PROVIDER = ProviderConfig(name="p", kind="anthropic", base_url="http://127.0.0.1:1", model="m")
TEXT = {"type": "text", "text": "hello"}
TOOL = {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "/x", "n": [1, {"a": None}]}}


def answer(*content: dict[str, Any], **fields: Any) -> dict[str, Any]:
    whole = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": list(content),
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 30, "cache_read_input_tokens": 0},
    }
    return {**whole, **fields}


PLAIN = [
    pytest.param(answer(TEXT), id="text"),
    pytest.param(answer(), id="no-content"),
    pytest.param(answer(TEXT, TOOL, stop_reason="tool_use"), id="text-and-tool"),
    pytest.param(answer(TEXT, stop_reason=None, stop_sequence="END"), id="stop-sequence"),
    pytest.param(answer(TEXT, stop_reason="refusal"), id="any-stop-reason"),
    pytest.param({**answer(TEXT), "container": None, "extra": {"x": 1}}, id="extra-fields"),
]

ODD_VALUES: list[Any] = [None, 5, 1.5, True, "s", [], {}, [TEXT], {"type": "text"}]


def mutations(whole: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``whole`` with each field (top level, usage, each block) missing or set to an odd value."""
    for field in list(whole):
        yield {k: v for k, v in whole.items() if k != field}
        for odd in ODD_VALUES:
            yield {**whole, field: odd}
    for field in list(whole["usage"]):
        for odd in ODD_VALUES:
            yield {**whole, "usage": {**whole["usage"], field: odd}}
    for index, block in enumerate(whole["content"]):
        for field in list(block):
            changed = copy.deepcopy(whole)
            del changed["content"][index][field]
            yield changed
            for odd in ODD_VALUES:
                changed = copy.deepcopy(whole)
                changed["content"][index][field] = odd
                yield changed
        for extra in ("cache_control", "citations", "signature"):
            changed = copy.deepcopy(whole)
            changed["content"][index][extra] = None
            yield changed


def full_check(payload: dict[str, Any]) -> dict[str, Any] | str:
    """What the client got before the quick check: the model's verdict, then the payload as written
    when whole (no filters here), else the model's dump; a refusal as its message."""
    try:
        message = read_message(payload, PROVIDER)
    except UpstreamHTTPError as error:
        return error.message
    except TypeError as error:  # the model's block discriminator raises this for an unhashable "type"
        return repr(error)
    keys = {"type", "role", "stop_reason", "stop_sequence", "usage"}
    usage = payload.get("usage")
    if (
        payload.keys() >= keys
        and isinstance(usage, dict)
        and usage.keys() >= {"input_tokens", "output_tokens"}
    ):
        return payload
    return message.to_wire()


def quick_check(payload: dict[str, Any]) -> dict[str, Any] | str:
    try:
        return message_as_answered(payload, PROVIDER)
    except UpstreamHTTPError as error:
        return error.message
    except TypeError as error:
        return repr(error)


@pytest.mark.parametrize("payload", PLAIN)
def test_a_plain_answer_is_passed_by_the_quick_check_as_the_model_would(payload: dict[str, Any]) -> None:
    assert _is_plain_message(payload)
    Message.model_validate(payload)
    assert message_as_answered(payload, PROVIDER) is payload


@pytest.mark.parametrize("payload", PLAIN)
def test_whatever_the_quick_check_passes_the_model_accepts(payload: dict[str, Any]) -> None:
    checked = 0
    for changed in mutations(payload):
        if _is_plain_message(changed):
            checked += 1
            try:
                Message.model_validate(changed)
            except ValidationError as error:  # pragma: no cover - the failure this test exists for
                pytest.fail(f"quick check passed what the model refuses: {changed!r}: {error}")
        assert quick_check(changed) == full_check(changed)
    assert checked > 0  # some mutations (extra fields, null stop reasons) stay plain
