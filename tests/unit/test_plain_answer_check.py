"""Passthrough answers checked without the model: whatever the quick check lets through, the model
(``Message``, ``ChatCompletion``) accepts too, and the client gets what the full check gives it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from coderouter_supervisor.worker.adapters.answer_reading import (
    _is_plain_completion,
    _is_plain_message,
    completion_as_answered,
    message_as_answered,
    read_completion,
    read_message,
)
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import UpstreamHTTPError
from coderouter_supervisor.worker.protocol import ChatCompletion, Message

from support.upstream_answers import TEXT, mutations
from support.upstream_answers import anthropic_message as message
from support.upstream_answers import chat_completion as completion

PROVIDER = ProviderConfig(name="p", kind="anthropic", base_url="http://127.0.0.1:1", model="m")
CALLED = {"name": "Read", "arguments": '{"path": "/x"}'}
THINKING = {"type": "thinking", "thinking": "let me see", "signature": "sig"}
TOOL = {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "/x", "n": [1, {"a": None}]}}


PLAIN_MESSAGES = [
    pytest.param(message(TEXT), id="text"),
    pytest.param(message(), id="no-content"),
    pytest.param(message(TEXT, TOOL, stop_reason="tool_use"), id="text-and-tool"),
    pytest.param(message(THINKING, TEXT), id="thinking"),
    pytest.param(message(TEXT, stop_reason=None, stop_sequence="END"), id="stop-sequence"),
    pytest.param(message(TEXT, stop_reason="refusal"), id="any-stop-reason"),
    pytest.param({**message(TEXT), "container": None, "extra": {"x": 1}}, id="extra-fields"),
]
PLAIN_COMPLETIONS = [
    pytest.param(completion({"content": "hi"}), id="text"),
    pytest.param(completion({"content": None, "refusal": "no"}), id="refusal"),
    pytest.param(completion({"content": "a"}, {"content": "b", "reasoning_content": "r"}), id="two-choices"),
    pytest.param(completion(), id="no-choices"),
    pytest.param(completion({"content": "hi", "tool_calls": None}), id="null-tool-calls"),
    pytest.param(
        completion({"content": None, "tool_calls": [{"id": "c", "type": "function", "function": CALLED}]}),
        id="tool-calls",
    ),
    pytest.param(completion({"content": "hi"}, usage=None, created=None, id=None), id="nulls"),
    pytest.param(
        {**completion({"content": "hi", "annotations": []}), "system_fingerprint": "fp"}, id="extra-fields"
    ),
]


def outcome(answer: Callable[[Any], Any], payload: dict[str, Any]) -> Any:
    """The answer to (a copy of) ``payload``, or the refusal it raised."""
    try:
        return answer(copy.deepcopy(payload))
    except UpstreamHTTPError as error:
        return error.message


def message_in_full(payload: dict[str, Any]) -> Any:
    """What the client got before the quick check: the model's verdict, then the answer as written."""
    checked = read_message(payload, PROVIDER)
    usage = payload.get("usage")
    whole = payload.keys() >= {"type", "role", "stop_reason", "stop_sequence", "usage"}
    if whole and isinstance(usage, dict) and usage.keys() >= {"input_tokens", "output_tokens"}:
        return payload
    return checked.to_wire()


def completion_in_full(payload: dict[str, Any]) -> Any:
    checked = read_completion(payload, PROVIDER)
    whole = payload.keys() >= {"object", "choices"} and all(
        choice.keys() >= {"index", "message", "finish_reason"}
        and choice["message"].keys() >= {"role", "content"}
        for choice in payload["choices"]
    )
    return payload if whole else checked.to_wire()


CASES = [
    (Message, _is_plain_message, lambda p: message_as_answered(p, PROVIDER), message_in_full, PLAIN_MESSAGES),
    (
        ChatCompletion,
        _is_plain_completion,
        lambda p: completion_as_answered(p, PROVIDER, ()),
        completion_in_full,
        PLAIN_COMPLETIONS,
    ),
]
PLAIN = [
    pytest.param(model, plain, quick, payload, id=f"{model.__name__}-{param.id}")
    for model, plain, quick, _, params in CASES
    for param in params
    for payload in param.values
]
MUTATED = [
    pytest.param(model, plain, quick, full, param.values[0], id=f"{model.__name__}-{param.id}")
    for model, plain, quick, full, params in CASES
    for param in params
]


@pytest.mark.parametrize(("model", "plain", "quick", "payload"), PLAIN)
def test_a_plain_answer_passes_the_quick_check_and_goes_as_written(
    model: type[BaseModel], plain: Callable[[Any], bool], quick: Callable[[Any], Any], payload: dict[str, Any]
) -> None:
    assert plain(payload)
    model.model_validate(payload)
    assert quick(payload) is payload


@pytest.mark.parametrize(("model", "plain", "quick", "full", "payload"), MUTATED)
def test_whatever_the_quick_check_passes_the_model_accepts(
    model: type[BaseModel],
    plain: Callable[[Any], bool],
    quick: Callable[[Any], Any],
    full: Callable[[Any], Any],
    payload: dict[str, Any],
) -> None:
    passed = 0
    for changed in mutations(payload):
        if not isinstance(changed, dict):
            continue
        if plain(changed):
            passed += 1
            try:
                model.model_validate(changed)
            except ValidationError as error:
                pytest.fail(f"the quick check passed what the model refuses: {changed!r}: {error}")
        assert outcome(quick, changed) == outcome(full, changed)
    assert passed > 0  # some changes (extra fields, nulls) stay plain


def test_a_completion_with_declared_tools_still_has_its_text_calls_repaired() -> None:
    payload = completion({"content": '{"name": "Read", "arguments": {"path": "/x"}}'})
    answered = completion_as_answered(payload, PROVIDER, ("Read",))
    assert answered["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "Read"
