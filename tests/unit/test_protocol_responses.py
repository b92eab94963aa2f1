from __future__ import annotations

import copy
from typing import Any

import openai
import pytest
from pydantic import TypeAdapter, ValidationError

from coderouter_supervisor.worker.errors import (
    ContextOverflow,
    GatewayError,
    InvalidRequest,
    MidStreamFailure,
    UpstreamOutOfMemory,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.protocol import (
    FunctionCallItem,
    FunctionCallOutputItem,
    FunctionTool,
    InputMessage,
    NamespaceTool,
    OutputMessage,
    OutputText,
    ReasoningItem,
    ResponseObject,
    ResponsesRequest,
    ResponsesStreamEvent,
    ResponseUsage,
    UnknownItem,
    UnknownResponsesEvent,
    UnknownTool,
    UnknownToolChoice,
    responses_error_detail,
    upstream_error_from_responses_event,
)

# The shape of a second Codex 0.171 turn (see shared/reference/codex-wire.md), shortened.
CODEX_BODY: dict[str, Any] = {
    "model": "any-name",
    "instructions": "You are Codex.",
    "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "sandbox"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "I should run ls"}],
            "encrypted_content": "gAAAA",
        },
        {
            "type": "message",
            "role": "assistant",
            "id": "msg_1",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Running ls.", "annotations": []}],
        },
        {
            "type": "function_call",
            "id": "fc_1",
            "status": "completed",
            "call_id": "call_1",
            "name": "exec_command",
            "arguments": '{"cmd":"ls"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "Exit code: 0\na.txt"},
        {"type": "item_reference", "id": "msg_0"},
    ],
    "tools": [
        {
            "type": "function",
            "name": "exec_command",
            "description": "Runs a command",
            "strict": False,
            "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
        },
        {
            "type": "namespace",
            "name": "multi_agent_v1",
            "description": "Agents",
            "tools": [{"type": "function", "name": "close_agent", "parameters": {"type": "object"}}],
        },
        {"type": "web_search", "external_web_access": False},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning": {"summary": "auto"},
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "session-1",
    "client_metadata": {"turn_id": "t1"},
    "text": {"verbosity": "low"},
}


def test_codex_body_round_trips_unchanged() -> None:
    request = ResponsesRequest.model_validate(CODEX_BODY)
    assert request.to_wire() == CODEX_BODY
    assert isinstance(request.input, list)
    kinds = [type(item) for item in request.input]
    assert kinds == [
        InputMessage,
        InputMessage,
        ReasoningItem,
        InputMessage,
        FunctionCallItem,
        FunctionCallOutputItem,
        UnknownItem,
    ]
    assert request.tools is not None
    assert [type(tool) for tool in request.tools] == [FunctionTool, NamespaceTool, UnknownTool]


def test_a_message_without_type_and_a_string_input_are_accepted() -> None:
    body = {"model": "m", "input": [{"role": "user", "content": "hi"}]}
    request = ResponsesRequest.model_validate(body)
    assert isinstance(request.input, list)
    assert isinstance(request.input[0], InputMessage)
    assert request.to_wire() == body
    assert ResponsesRequest.model_validate({"model": "m", "input": "hi"}).input == "hi"


def test_a_hosted_tool_choice_is_kept() -> None:
    request = ResponsesRequest.model_validate({"model": "m", "tool_choice": {"type": "web_search"}})
    assert isinstance(request.tool_choice, UnknownToolChoice)


@pytest.mark.parametrize(
    ("change", "location"),
    [
        pytest.param(
            {"input": [{"type": "function_call", "name": "f", "arguments": "{}"}]},
            ("input", 0, "function_call", "call_id"),
            id="call-without-call_id",
        ),
        pytest.param(
            {"input": [{"role": "robot", "content": "x"}]}, ("input", 0, "message", "role"), id="unknown-role"
        ),
        pytest.param({"max_output_tokens": 0}, ("max_output_tokens",), id="no-output-tokens"),
        pytest.param({"tools": [{"type": "function"}]}, ("tools", 0, "function", "name"), id="nameless-tool"),
        pytest.param({"parallel_tool_calls": "maybe"}, ("parallel_tool_calls",), id="parallel-not-bool"),
    ],
)
def test_requests_are_strict_on_known_fields(change: dict[str, Any], location: tuple[Any, ...]) -> None:
    body = copy.deepcopy(CODEX_BODY) | change
    with pytest.raises(ValidationError) as caught:
        ResponsesRequest.model_validate(body)
    # Union-member tags (``list[tagged-union[...]]``) are left out, as the ingress's field path does.
    paths = [tuple(part for part in error["loc"] if "[" not in str(part)) for error in caught.value.errors()]
    assert location in [path[: len(location)] for path in paths]


def test_a_response_we_emit_passes_the_sdk() -> None:
    response = ResponseObject(
        id="resp_1",
        created_at=1,
        model="m",
        output=[
            ReasoningItem(type="reasoning", id="rs_1", summary=[]),
            OutputMessage(id="msg_1", content=[OutputText(type="output_text", text="hi", annotations=[])]),
            FunctionCallItem(type="function_call", id="fc_1", call_id="c", name="f", arguments="{}"),
        ],
        usage=ResponseUsage(input_tokens=3, output_tokens=2, total_tokens=5),
    )
    wire = response.to_wire()
    assert wire["error"] is None
    parsed = openai.types.responses.Response.model_validate(wire)
    assert parsed.output_text == "hi"
    assert parsed.usage is not None
    assert parsed.usage.input_tokens_details.cached_tokens == 0


@pytest.mark.parametrize("kind", [pytest.param([], id="list"), pytest.param({}, id="object")])
def test_an_output_item_whose_type_is_not_a_string_is_refused(kind: Any) -> None:
    with pytest.raises(ValidationError):
        ResponseObject.model_validate({"id": "resp_1", "output": [{"type": kind}]})


def test_unknown_stream_events_are_kept() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(ResponsesStreamEvent)
    event = adapter.validate_python({"type": "response.web_search_call.searching", "item_id": "ws"})
    assert isinstance(event, UnknownResponsesEvent)
    assert event.to_wire() == {"type": "response.web_search_call.searching", "item_id": "ws"}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        pytest.param(ContextOverflow("too long", provider="p"), "context_length_exceeded", id="overflow"),
        pytest.param(MidStreamFailure("cut", provider="p"), "server_error", id="mid-stream"),
        pytest.param(UpstreamTimeout("slow", provider="p"), "server_error", id="timeout"),
        pytest.param(InvalidRequest("bad"), "invalid_prompt", id="invalid"),
    ],
)
def test_failed_response_error_codes(error: GatewayError, code: str) -> None:
    detail = responses_error_detail(error)
    assert (detail.code, detail.message) == (code, error.message)


@pytest.mark.parametrize(
    ("payload", "expected", "status"),
    [
        pytest.param(
            {
                "type": "response.failed",
                "response": {
                    "error": {"code": "context_length_exceeded", "message": "Your input exceeds the context"}
                },
            },
            ContextOverflow,
            400,
            id="failed-overflow",
        ),
        pytest.param(
            {"type": "error", "code": "rate_limit_exceeded", "message": "slow down"},
            MidStreamFailure,
            429,
            id="error-rate-limit",
        ),
        pytest.param(
            {"type": "error", "message": "CUDA out of memory"}, UpstreamOutOfMemory, 529, id="error-oom"
        ),
        pytest.param(
            {"type": "response.failed", "response": {"error": None}},
            MidStreamFailure,
            502,
            id="failed-without-detail",
        ),
    ],
)
def test_upstream_failures_are_read(
    payload: dict[str, Any], expected: type[GatewayError], status: int
) -> None:
    error = upstream_error_from_responses_event(payload, provider="up")
    assert type(error) is expected
    assert error.status == status


def test_ordinary_events_are_not_errors() -> None:
    assert (
        upstream_error_from_responses_event({"type": "response.completed", "response": {}}, provider="p")
        is None
    )
