"""`doctor`'s probe dialects: one per provider kind, bodies its API accepts, readers of its answers."""

from __future__ import annotations

import ast
import inspect
import typing
from pathlib import Path
from typing import Any

import pytest

from coderouter_supervisor.supervisor.commands.doctor.answers import (
    judge_cache_usage,
    judge_plain_reply,
    judge_reasoning,
    judge_stream,
    judge_tools,
)
from coderouter_supervisor.supervisor.commands.doctor.dialects import DIALECTS, dialect_for
from coderouter_supervisor.supervisor.commands.doctor.openai_responses_dialect import OPENAI_RESPONSES_DIALECT
from coderouter_supervisor.supervisor.commands.doctor.probe_dialect import PLAIN_MAX_TOKENS, PROBE_TOOL
from coderouter_supervisor.supervisor.commands.doctor.results import Answer, StreamAnswer, Verdict
from coderouter_supervisor.worker.adapters import passthrough_adapter
from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind

KINDS: tuple[ProviderKind, ...] = typing.get_args(ProviderKind)
RESPONSES = OPENAI_RESPONSES_DIALECT


def provider(kind: ProviderKind = "openai_responses", **fields: Any) -> ProviderConfig:
    return ProviderConfig.model_validate(
        {"name": "p", "kind": kind, "base_url": "http://127.0.0.1:8000/v1", "model": "m", **fields}
    )


def message(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def function_call(name: str = PROBE_TOOL, arguments: str = '{"text": "hi"}') -> dict[str, Any]:
    return {"type": "function_call", "call_id": "call_1", "name": name, "arguments": arguments}


REASONING_ITEM = {"type": "reasoning", "id": "rs_1", "summary": []}


def response(*items: dict[str, Any], usage: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"object": "response", "status": "completed", "output": list(items), "usage": usage}


def test_every_provider_kind_has_its_dialect() -> None:
    assert set(DIALECTS) == set(KINDS)
    assert all(dialect.kind == kind for kind, dialect in DIALECTS.items())


def test_only_the_dialects_name_a_provider_kind() -> None:
    """The rest of doctor asks a provider's dialect; it never branches on the kind's name."""
    folder = Path(inspect.getfile(dialect_for)).parent
    naming = {
        path.name
        for path in folder.glob("*.py")
        if not path.name.endswith("dialect.py") and path.name != "dialects.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value in KINDS
    }
    assert naming == set()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("thinking", [False, True], ids=["plain", "thinking"])
def test_every_probe_body_is_a_request_of_the_kinds_own_protocol(kind: ProviderKind, thinking: bool) -> None:
    dialect = DIALECTS[kind]
    request_model = passthrough_adapter(kind).client.request_model
    for body in (dialect.plain_body(provider(kind), thinking=thinking), dialect.tools_body(provider(kind))):
        assert request_model.model_validate(body).model_dump(exclude_unset=True, mode="json") == body


def test_responses_probes_speak_the_responses_api() -> None:
    plain = RESPONSES.plain_body(provider(), thinking=False)
    assert plain == {"model": "m", "input": plain["input"], "max_output_tokens": PLAIN_MAX_TOKENS}
    thinking = RESPONSES.plain_body(provider(), thinking=True)
    assert thinking["reasoning"] == {"effort": "low"}
    assert thinking["max_output_tokens"] > PLAIN_MAX_TOKENS
    tools = RESPONSES.tools_body(provider())
    assert "messages" not in tools and "max_tokens" not in tools
    assert tools["tools"][0]["type"] == "function" and tools["tools"][0]["name"] == PROBE_TOOL
    assert tools["tool_choice"] == {"type": "function", "name": PROBE_TOOL}


@pytest.mark.parametrize(
    ("payload", "text"),
    [
        pytest.param(response(REASONING_ITEM, message("PONG")), "PONG", id="after-reasoning"),
        pytest.param(response(message("PO"), message("NG")), "PONG", id="two-messages"),
        pytest.param(response(function_call()), "", id="only-a-call"),
        pytest.param({"choices": [{"message": {"content": "chat"}}]}, "", id="chat-shape"),
        pytest.param(response({"type": "message", "content": None}), "", id="no-content"),
    ],
)
def test_responses_answer_text_reads_output_text_of_message_items(payload: dict[str, Any], text: str) -> None:
    assert RESPONSES.answer_text(payload) == text


@pytest.mark.parametrize(
    ("payload", "called"),
    [
        pytest.param(response(REASONING_ITEM, function_call()), [PROBE_TOOL], id="call"),
        pytest.param(response(function_call(), function_call("other")), [PROBE_TOOL, "other"], id="two"),
        pytest.param(response({"type": "function_call", "name": PROBE_TOOL}), [], id="no-arguments"),
        pytest.param(response(message("no")), [], id="text-only"),
    ],
)
def test_responses_called_tools_reads_function_call_items(payload: dict[str, Any], called: list[str]) -> None:
    assert RESPONSES.called_tools(payload) == called


def _events(*kinds: str) -> tuple[dict[str, Any], ...]:
    return tuple({"type": kind} for kind in kinds)


DELTAS = (
    {"type": "response.output_text.delta", "delta": "PO"},
    {"type": "response.output_text.delta", "delta": "NG"},
)


@pytest.mark.parametrize(
    ("events", "finished"),
    [
        pytest.param(_events("response.created", "response.completed"), True, id="completed"),
        pytest.param(_events("response.created", "response.incomplete"), True, id="cut-by-the-limit"),
        pytest.param(_events("response.created", "response.output_item.done"), False, id="no-ending"),
    ],
)
def test_a_responses_stream_ends_with_the_response_finished(
    events: tuple[dict[str, Any], ...], finished: bool
) -> None:
    assert RESPONSES.stream_finished(StreamAnswer(events=events, saw_done=False)) is finished


@pytest.mark.parametrize(
    ("events", "message_has"),
    [
        pytest.param(
            ({"type": "error", "code": "server_error", "message": "Overloaded"},), "Overloaded", id="error"
        ),
        pytest.param(
            (
                {
                    "type": "response.failed",
                    "response": {
                        "status": "failed",
                        "error": {"code": "server_error", "message": "it broke"},
                    },
                },
            ),
            "it broke",
            id="failed",
        ),
        pytest.param(DELTAS, None, id="none"),
    ],
)
def test_a_responses_stream_error_is_read_from_its_error_events(
    events: tuple[dict[str, Any], ...], message_has: str | None
) -> None:
    error = RESPONSES.stream_error(events)
    if message_has is None:
        assert error is None
    else:
        assert error is not None and message_has in error


@pytest.mark.parametrize(
    ("stream", "verdict", "detail_has"),
    [
        pytest.param(
            StreamAnswer(events=(*_events("response.created"), *DELTAS, *_events("response.completed"))),
            "OK",
            "text 'PONG'",
            id="ok",
        ),
        pytest.param(
            StreamAnswer(events=(*_events("response.created"), *DELTAS)),
            "WARN",
            "no `response.completed`",
            id="no-ending",
        ),
        pytest.param(
            StreamAnswer(
                events=(
                    *_events("response.created"),
                    {"type": "response.failed", "response": {"error": {"message": "Overloaded"}}},
                )
            ),
            "FAIL",
            "the stream reported an error: Overloaded",
            id="failed",
        ),
    ],
)
def test_judge_stream_on_a_responses_provider(
    stream: StreamAnswer, verdict: Verdict, detail_has: str
) -> None:
    result = judge_stream(provider(), stream)
    assert (result.verdict, detail_has in result.detail) == (verdict, True), result


def test_plain_reply_and_tools_on_a_responses_provider() -> None:
    assert judge_plain_reply(provider(), Answer(response(message("PONG")))).detail == "answered 'PONG'"
    assert judge_plain_reply(provider(), Answer(response(REASONING_ITEM))).verdict == "WARN"
    called = judge_tools(provider(capabilities={"tools": True}), Answer(response(function_call())))
    assert (called.verdict, called.detail) == ("OK", f"called {PROBE_TOOL}")
    as_text = judge_tools(
        provider(capabilities={"tools": True}),
        Answer(response(message('{"name": "echo", "arguments": {"text": "hi"}}'))),
    )
    assert (as_text.verdict, "as text" in as_text.detail) == ("OK", True)
    refused = judge_tools(provider(capabilities={"tools": True}), Answer(response(message("no"))))
    assert refused.verdict == "WARN"


@pytest.mark.parametrize(
    ("usage", "verdict", "text_has"),
    [
        pytest.param(
            {"input_tokens": 9, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 2},
            "OK",
            "usage reports input_tokens_details.cached_tokens",
            id="cached-reported",
        ),
        pytest.param({"input_tokens": 9, "output_tokens": 2}, "WARN", "informational", id="no-cache-field"),
        pytest.param(None, "WARN", "no usage at all", id="no-usage"),
    ],
)
def test_cache_usage_on_a_responses_provider(
    usage: dict[str, Any] | None, verdict: Verdict, text_has: str
) -> None:
    result = judge_cache_usage(provider(), Answer(response(message("PONG"), usage=usage)))
    assert result.verdict == verdict
    assert text_has in f"{result.detail} {result.fix}"


@pytest.mark.parametrize(
    ("items", "expected", "verdict", "text_has"),
    [
        pytest.param((REASONING_ITEM, message("x")), True, "OK", "`reasoning` output items", id="reasoned"),
        pytest.param(
            (REASONING_ITEM, message("x")),
            False,
            "OK",
            "declare `capabilities: {thinking: true}`",
            id="reasoned-undeclared",
        ),
        pytest.param(
            (message("<think>r</think>x"),),
            False,
            "WARN",
            "`output_filters: [strip_thinking]`",
            id="think-tags",
        ),
        pytest.param(
            (message("x"),),
            True,
            "WARN",
            "`capabilities: {thinking: false}` on provider p",
            id="asked-but-absent",
        ),
        pytest.param((message("x"),), False, "OK", "none declared", id="none"),
    ],
)
def test_reasoning_on_a_responses_provider(
    items: tuple[dict[str, Any], ...], expected: bool, verdict: Verdict, text_has: str
) -> None:
    result = judge_reasoning(provider(), Answer(response(*items)), expected)
    assert result.verdict == verdict
    assert text_has in f"{result.detail} {result.fix}"


def test_only_providers_whose_api_ollama_serves_ask_ollama_for_the_context() -> None:
    asks = {kind for kind in KINDS if dialect_for(provider(kind)).may_be_ollama}
    assert asks == {"openai_compat", "openai_responses"}
