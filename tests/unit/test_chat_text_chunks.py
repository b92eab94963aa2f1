"""Text-only chunks are read without validating a model: only where validating could not fail or
read anything else from them."""

from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import ChatCompletionChunk
from coderouter_supervisor.worker.translate.chat_stream_reader import arguments_only_delta, text_only_delta

from support.chat_chunks import call, chunk

READ_DIRECTLY = [
    pytest.param(chunk({"content": "hé"}), id="content"),
    pytest.param(chunk({"role": "assistant", "content": ""}), id="role"),
    pytest.param(chunk({"reasoning_content": "so", "content": None, "tool_calls": None}), id="reasoning"),
    pytest.param(
        chunk({"reasoning": "so"}, created=5, object="chat.completion.chunk"), id="ollama-reasoning"
    ),
    pytest.param(
        {
            "choices": [{"delta": {"content": "x"}, "logprobs": None}],
            "system_fingerprint": "fp",
            "usage": None,
        },
        id="no-id-extras",
    ),
    pytest.param(chunk({}), id="empty-delta"),
]

VALIDATED = [
    pytest.param(chunk(call(0, call_id="c", name="f")), id="tool-call"),
    pytest.param(chunk({"content": "x"}, finish="stop"), id="finish"),
    pytest.param(chunk({"content": "x"}, usage={"prompt_tokens": 1}), id="usage"),
    pytest.param({"id": "x", "choices": []}, id="no-choice"),
    pytest.param({"choices": [{"delta": {"content": "a"}}, {"delta": {"content": "b"}}]}, id="two-choices"),
    pytest.param(chunk({"role": "user", "content": "x"}), id="odd-role"),
    pytest.param(chunk({"content": 5}), id="content-not-text"),
    pytest.param(chunk({"refusal": "no"}), id="refusal"),
    pytest.param(chunk({"content": "x"}, id=7), id="id-not-text"),
    pytest.param(chunk({"content": "x"}, created="5"), id="created-as-text"),
    pytest.param(chunk({"content": "x"}, object="chat.completion"), id="other-object"),
    pytest.param({"choices": [{"index": True, "delta": {"content": "x"}}]}, id="index-not-int"),
    pytest.param({"choices": [{"delta": "x"}]}, id="delta-not-object"),
    pytest.param({"choices": "x"}, id="choices-not-list"),
]


@pytest.mark.parametrize("payload", READ_DIRECTLY)
def test_a_text_chunk_reads_as_the_model_does(payload: dict[str, Any]) -> None:
    delta = text_only_delta(payload)
    assert delta is not None
    parsed = ChatCompletionChunk.model_validate(payload)
    assert parsed.usage is None
    [choice] = parsed.choices
    assert choice.finish_reason is None
    assert choice.delta.tool_calls is None
    for field in ("content", "reasoning_content", "reasoning"):
        assert getattr(choice.delta, field) == delta.get(field)


@pytest.mark.parametrize("payload", VALIDATED)
def test_any_other_chunk_is_validated(payload: dict[str, Any]) -> None:
    assert text_only_delta(payload) is None


ARGUMENTS_READ_DIRECTLY = [
    pytest.param(chunk(call(0, arguments='{"a": "é\\"')), id="fragment"),
    pytest.param(chunk(call(2, call_id="c", name="f", arguments="")), id="opening-call"),
    pytest.param(chunk(call(1, arguments="x") | {"content": None, "role": "assistant"}), id="nulls-and-role"),
    pytest.param(
        chunk({"tool_calls": [{"index": 0, "type": "function", "id": None, "function": {"arguments": "1"}}]}),
        id="typed",
    ),
]

ARGUMENTS_VALIDATED = [
    pytest.param(chunk(call(0, arguments=None)), id="no-arguments"),
    pytest.param(chunk(call(0, arguments="x") | {"content": "hi"}), id="with-text"),
    pytest.param(chunk(call(0, arguments="x"), finish="tool_calls"), id="finish"),
    pytest.param(chunk({"tool_calls": [call(0)["tool_calls"][0]] * 2}), id="two-calls"),
    pytest.param(chunk({"tool_calls": [{"index": True, "function": {"arguments": "x"}}]}), id="index-bool"),
    pytest.param(chunk({"tool_calls": [{"index": 0, "function": {"arguments": 5}}]}), id="arguments-number"),
    pytest.param(
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "x", "x": 1}}]}), id="extra-key"
    ),
    pytest.param(
        chunk({"tool_calls": [{"index": 0, "type": "tool", "function": {"arguments": "x"}}]}), id="type"
    ),
    pytest.param(
        chunk({"tool_calls": [{"index": 0, "id": 3, "function": {"arguments": "x"}}]}), id="id-number"
    ),
    pytest.param(chunk(call(0, arguments="x"), usage={"prompt_tokens": 1}), id="usage"),
    pytest.param(chunk({"content": "x"}), id="text"),
]


@pytest.mark.parametrize("payload", ARGUMENTS_READ_DIRECTLY)
def test_an_arguments_chunk_reads_as_the_model_does(payload: dict[str, Any]) -> None:
    read = arguments_only_delta(payload)
    parsed = ChatCompletionChunk.model_validate(payload)
    [choice] = parsed.choices
    assert choice.finish_reason is None and parsed.usage is None
    assert not (choice.delta.content or choice.delta.reasoning_content or choice.delta.reasoning)
    [tool_call] = choice.delta.tool_calls or []
    assert tool_call.function is not None
    assert read == (tool_call.index, tool_call.function.arguments)


@pytest.mark.parametrize("payload", ARGUMENTS_VALIDATED)
def test_any_other_arguments_chunk_is_validated(payload: dict[str, Any]) -> None:
    assert arguments_only_delta(payload) is None
