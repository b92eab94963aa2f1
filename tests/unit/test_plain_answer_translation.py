"""Translated whole answers built dict to dict give exactly what the model path gives.

For each translated direction, a corpus of upstream answers (the translation tests' shapes, the
bench's canned answers, tool calls, thinking, empty content, unicode, cache usage, nulls), and every
one-field change of them, goes through the adapter's ``client_answer`` (which takes the direct path
for a plain answer) and through the model path it replaces (validate, translate model to model,
dump); the two must agree on keys, their order and values, and the upstream answer, which the
recorder reads usage from afterwards, must be left as it was.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from coderouter_supervisor.worker.adapters.answer_reading import (
    filtered_message,
    parse_answer,
    plain_completion_usage,
    plain_message_usage,
    read_completion,
    read_message,
)
from coderouter_supervisor.worker.adapters.anthropic_on_openai_compat import (
    ANTHROPIC_ON_OPENAI_COMPAT,
    declared_tools,
)
from coderouter_supervisor.worker.adapters.anthropic_on_openai_responses import ANTHROPIC_ON_OPENAI_RESPONSES
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_on_anthropic import OPENAI_ON_ANTHROPIC
from coderouter_supervisor.worker.adapters.openai_on_openai_responses import OPENAI_ON_OPENAI_RESPONSES
from coderouter_supervisor.worker.adapters.plain_response import is_plain_response
from coderouter_supervisor.worker.adapters.responses_frames import echoed
from coderouter_supervisor.worker.adapters.responses_on_anthropic import RESPONSES_ON_ANTHROPIC
from coderouter_supervisor.worker.adapters.responses_on_openai_compat import RESPONSES_ON_OPENAI_COMPAT
from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig, ProviderKind
from coderouter_supervisor.worker.errors import UpstreamHTTPError
from coderouter_supervisor.worker.protocol import (
    ChatCompletionRequest,
    MessagesRequest,
    ResponseObject,
    ResponsesRequest,
)
from coderouter_supervisor.worker.providers import ProviderCall
from coderouter_supervisor.worker.translate import (
    OutputFilterName,
    anthropic_message_to_openai,
    anthropic_message_to_response,
    flatten_tools,
    openai_completion_to_anthropic,
    openai_completion_to_response,
    repair_completion,
    response_to_anthropic_message,
    response_to_openai_completion,
)

from support.upstream_answers import anthropic_message as message
from support.upstream_answers import chat_completion as completion
from support.upstream_answers import mutations
from support.upstream_answers import responses_object as response

CREATED = 1700000000
FILTERS: tuple[OutputFilterName, ...] = ("strip_thinking", "strip_stop_markers")
MESSAGES_REQUEST = MessagesRequest.model_validate(
    {"model": "asked", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
)
MESSAGES_TOOLS_REQUEST = MessagesRequest.model_validate(
    {
        "model": "asked",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"name": "exec_command", "input_schema": {"type": "object"}}],
    }
)
CHAT_REQUEST = ChatCompletionRequest.model_validate(
    {"model": "asked", "messages": [{"role": "user", "content": "hi"}]}
)


def call(kind: ProviderKind, filters: tuple[OutputFilterName, ...] = ()) -> ProviderCall:
    provider = ProviderConfig(
        name="p", kind=kind, base_url="http://127.0.0.1:1", model="m", output_filters=list(filters)
    )
    return ProviderCall(provider, ProfileConfig(name="x", providers=("p",)), api_key=None)


TEXT = {"type": "text", "text": "hello"}
THINKING = {"type": "thinking", "thinking": "let me see", "signature": "sig"}
TOOL = {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"path": "/x", "n": [1, {"a": None}]}}
CACHE_USAGE = {
    "input_tokens": 10,
    "output_tokens": 5,
    "cache_read_input_tokens": 100,
    "cache_creation_input_tokens": 20,
}
MESSAGES = [
    pytest.param(message(TEXT), id="text"),
    pytest.param(message(), id="empty-content"),
    pytest.param(message({"type": "text", "text": ""}), id="empty-text"),
    pytest.param(message(TEXT, TOOL, stop_reason="tool_use"), id="text-and-tool"),
    pytest.param(message(TOOL, dict(TOOL, id="toolu_2", input={})), id="two-tools-no-text"),
    pytest.param(message(THINKING, TEXT, TOOL, usage=CACHE_USAGE), id="thinking-tool-cache"),
    pytest.param(
        message({"type": "text", "text": "héllo ☃ 𝄞"}, dict(TOOL, input={"q": "é\u2028"})), id="unicode"
    ),
    pytest.param(message(TEXT, TEXT, stop_reason=None, stop_sequence="END"), id="two-texts-null-stop"),
    pytest.param(message(TEXT, stop_reason="pause_turn"), id="pause-turn"),
    pytest.param(message(TEXT, stop_reason="brand_new"), id="unknown-stop"),
    pytest.param(
        message(TEXT, usage={"input_tokens": 3, "output_tokens": 4, "cache_read_input_tokens": None}),
        id="null-cache-count",
    ),
    pytest.param(message(TEXT, usage={"input_tokens": -3, "output_tokens": 0}), id="odd-counts"),
    pytest.param(message({"type": "text", "text": "<think>hm</think>ok<|im_end|>"}), id="filtered-text"),
    pytest.param(message(TEXT) | {"container": None, "extra": {"x": 1}}, id="extra-fields"),
    pytest.param(
        message(
            TEXT,
            {"type": "redacted_thinking", "data": "x"},
            {"type": "server_tool_use", "id": "s", "name": "w", "input": {}},
        ),
        id="blocks-without-openai-form",
    ),
    pytest.param(message(TEXT, usage={"input_tokens": "12", "output_tokens": 30}), id="string-count"),
]
ANTHROPIC_FOR_RESPONSES = [
    pytest.param(
        message(
            THINKING,
            TEXT,
            dict(TOOL, name="multi_agent_v1__close_agent"),
            {"type": "thinking", "thinking": "", "signature": "only-signed"},
            {"type": "thinking", "thinking": "unsigned", "signature": ""},
            {"type": "thinking", "thinking": "", "signature": ""},
            {"type": "text", "text": "after the call"},
            TOOL,
        ),
        id="interleaved-namespaced",
    ),
    pytest.param(message(TEXT, stop_reason="max_tokens"), id="max-tokens"),
    pytest.param(message(TEXT, stop_reason="refusal"), id="refusal"),
    pytest.param(message(TEXT, stop_reason="model_context_window_exceeded"), id="window"),
]
BENCH_MESSAGE = {
    "id": "msg_bench",
    "type": "message",
    "role": "assistant",
    "model": "bench-model",
    "content": [{"type": "text", "text": "Hello from the canned upstream. " * 4}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 120,
        "output_tokens": 40,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
    },
}


REASONING_ITEM = {
    "type": "reasoning",
    "id": "rs_1",
    "summary": [{"type": "summary_text", "text": "plan"}, {"type": "summary_text", "text": "then act"}],
    "encrypted_content": "E",
}
TEXT_ITEM = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [{"type": "output_text", "text": "Running.", "annotations": []}],
}
CALL_ITEM = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "exec_command",
    "arguments": '{"cmd":"ls"}',
}


def text_item(*parts: dict[str, Any]) -> dict[str, Any]:
    return TEXT_ITEM | {"content": list(parts)}


RESPONSES = [
    pytest.param(response(TEXT_ITEM), id="text"),
    pytest.param(response(), id="empty-output"),
    pytest.param(response(TEXT_ITEM, CALL_ITEM), id="text-and-tool"),
    pytest.param(
        response(REASONING_ITEM, TEXT_ITEM, {"type": "web_search_call", "id": "ws_1"}, CALL_ITEM),
        id="reasoning-hosted-tool",
    ),
    pytest.param(
        response(CALL_ITEM | {"namespace": "multi_agent_v1", "name": "close_agent", "arguments": "[1]"}),
        id="namespaced-call-odd-arguments",
    ),
    pytest.param(response(CALL_ITEM | {"arguments": '{"x": NaN, "y": 1e999}'}), id="non-finite-arguments"),
    pytest.param(response(CALL_ITEM | {"call_id": "call.1/é", "arguments": ""}), id="odd-call-id"),
    pytest.param(
        response(
            text_item({"type": "output_text", "text": "héllo ☃ 𝄞", "annotations": None, "logprobs": []})
        ),
        id="unicode",
    ),
    pytest.param(response(text_item({"type": "refusal", "refusal": "I can't."})), id="refusal"),
    pytest.param(
        response(text_item({"type": "output_text", "text": ""}, {"type": "other", "refusal": 5})),
        id="odd-parts",
    ),
    pytest.param(
        response(
            TEXT_ITEM, status="incomplete", incomplete_details={"reason": "max_output_tokens"}, usage=None
        ),
        id="incomplete-no-usage",
    ),
    pytest.param(
        response(TEXT_ITEM, status="incomplete", incomplete_details={"reason": "content_filter"}),
        id="content-filter",
    ),
    pytest.param(
        response(
            text_item({"type": "output_text", "text": "<think>hm</think>ok<|im_end|>", "annotations": []})
        ),
        id="filtered-text",
    ),
    pytest.param(
        response(
            TEXT_ITEM, model="", usage={"input_tokens": 10, "input_tokens_details": {"cached_tokens": 50}}
        ),
        id="no-model-odd-usage",
    ),
    pytest.param({"id": "resp_2", "output": [TEXT_ITEM]}, id="few-fields"),
    pytest.param(response(TEXT_ITEM, error={"code": "server_error", "message": "x"}), id="error-object"),
    pytest.param(response(TEXT_ITEM, usage={"input_tokens": True}), id="bool-count"),
]
BENCH_RESPONSE = response(
    text_item({"type": "output_text", "text": "Hello from the canned upstream. " * 4, "annotations": []}),
    id="resp_bench",
    model="bench-model",
    usage={
        "input_tokens": 120,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 40,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 160,
    },
)


CALL = {"id": "call_1", "type": "function", "function": {"name": "exec_command", "arguments": '{"cmd":"ls"}'}}
NAMESPACED_CALL = {
    "id": "call_2",
    "function": {"name": "multi_agent_v1__close_agent", "arguments": '{"id":3}'},
}
DETAILED_USAGE = {
    "prompt_tokens": 100,
    "completion_tokens": 20,
    "total_tokens": 120,
    "prompt_tokens_details": {"cached_tokens": 60},
    "completion_tokens_details": {"reasoning_tokens": 8},
}
COMPLETIONS = [
    pytest.param(completion({"content": "hi"}), id="text"),
    pytest.param(completion(), id="no-choices"),
    pytest.param(completion({"content": None}), id="null-content"),
    pytest.param(completion({"content": ""}), id="empty-text"),
    pytest.param(completion({"content": "Running.", "tool_calls": [CALL]}), id="text-and-tool"),
    pytest.param(
        completion({"content": None, "reasoning_content": "plan", "tool_calls": [CALL, NAMESPACED_CALL]}),
        id="reasoning-and-namespaced-tool",
    ),
    pytest.param(completion({"content": "x", "reasoning": "vllm-style"}), id="reasoning-field"),
    pytest.param(
        completion({"tool_calls": [{"function": {"name": "f", "arguments": '{"x": NaN}'}}, {"id": "c.1"}]}),
        id="odd-calls",
    ),
    pytest.param(completion({"content": None, "tool_calls": []}), id="empty-tool-calls"),
    pytest.param(completion({"content": "héllo ☃ 𝄞 \u2028"}), id="unicode"),
    pytest.param(completion({"content": None, "refusal": "I can't."}), id="refusal"),
    pytest.param(completion({"content": "cut"}) | {"usage": None, "id": None, "model": None}, id="nulls"),
    pytest.param(completion({"content": "a"}, {"content": "b"}), id="two-choices"),
    pytest.param(completion({"content": "<think>hm</think>ok<|im_end|>"}), id="filtered-text"),
    pytest.param(
        completion(
            {
                "content": 'Calling\n{"name": "exec_command", "arguments": {"cmd": "ls"}}\n'
                '<tool_call>{"name": "x"}'
            }
        ),
        id="text-written-call",
    ),
    pytest.param(completion({"content": "hi"}, usage=DETAILED_USAGE), id="detailed-usage"),
    pytest.param(
        completion({"content": "hi", "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1}}}]}),
        id="object-arguments",
    ),
]
for finish in ("length", "content_filter", "tool_calls", "brand_new", None):
    answer = completion({"content": "x"})
    answer["choices"][0]["finish_reason"] = finish
    COMPLETIONS.append(pytest.param(answer, id=f"finish-{finish}"))
BENCH_COMPLETION = completion(
    {"content": "Hello from the canned upstream. " * 4},
    id="chatcmpl-bench",
    model="bench-model",
    usage={"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160},
)
RESPONSES_REQUEST = ResponsesRequest.model_validate({"model": "asked", "input": "hi"})
RESPONSES_TOOLS_REQUEST = ResponsesRequest.model_validate(
    {
        "model": "asked",
        "input": "hi",
        "tools": [
            {"type": "function", "name": "exec_command", "parameters": {"type": "object"}, "strict": None},
            {
                "type": "namespace",
                "name": "multi_agent_v1",
                "description": "Agents",
                "tools": [{"type": "function", "name": "close_agent", "parameters": {"type": "object"}}],
            },
            {"type": "web_search"},
        ],
        "tool_choice": {"type": "function", "name": "exec_command"},
        "parallel_tool_calls": False,
        "include": ["reasoning.encrypted_content"],
    }
)


@dataclass(frozen=True)
class Direction:
    adapter: ProtocolAdapter
    kind: ProviderKind
    request: Any
    model_path: Callable[[dict[str, Any], ProviderCall, Any], dict[str, Any]]
    plain: Callable[[dict[str, Any]], bool]
    corpus: list[Any]


def _openai_from_anthropic(payload: dict[str, Any], at: ProviderCall, request: Any) -> dict[str, Any]:
    return anthropic_message_to_openai(read_message(payload, at.provider), created=CREATED).to_wire()


def _anthropic_from_responses(payload: dict[str, Any], at: ProviderCall, request: Any) -> dict[str, Any]:
    response = parse_answer(ResponseObject, payload, at.name)
    return filtered_message(
        response_to_anthropic_message(response, requested_model=request.model), at.provider
    ).to_wire()


def _responses_from_openai(payload: dict[str, Any], at: ProviderCall, request: Any) -> dict[str, Any]:
    flat = flatten_tools(request.tools)
    declared = frozenset(tool.name for tool in flat.functions)
    completion = repair_completion(read_completion(payload, at.provider), declared)
    response = openai_completion_to_response(
        completion, requested_model=request.model, created_at=CREATED, tool_names=flat.names
    )
    return echoed(response, request)


def _responses_from_anthropic(payload: dict[str, Any], at: ProviderCall, request: Any) -> dict[str, Any]:
    response = anthropic_message_to_response(
        read_message(payload, at.provider), created_at=CREATED, tool_names=flatten_tools(request.tools).names
    )
    return echoed(response, request)


def _openai_from_responses(payload: dict[str, Any], at: ProviderCall, request: Any) -> dict[str, Any]:
    response = parse_answer(ResponseObject, payload, at.name)
    return response_to_openai_completion(response, requested_model=request.model).to_wire()


def _anthropic_from_openai(payload: dict[str, Any], at: ProviderCall, request: Any) -> dict[str, Any]:
    completion = repair_completion(read_completion(payload, at.provider), declared_tools(request))
    return openai_completion_to_anthropic(completion, requested_model=request.model).to_wire()


def _is_plain_completion(payload: dict[str, Any]) -> bool:
    return plain_completion_usage(payload) is not None


DIRECTIONS = {
    "openai<-anthropic": Direction(
        OPENAI_ON_ANTHROPIC,
        "anthropic",
        CHAT_REQUEST,
        _openai_from_anthropic,
        lambda payload: plain_message_usage(payload) is not None,
        [*MESSAGES, pytest.param(BENCH_MESSAGE, id="bench")],
    ),
    "anthropic<-responses": Direction(
        ANTHROPIC_ON_OPENAI_RESPONSES,
        "openai_responses",
        MESSAGES_REQUEST,
        _anthropic_from_responses,
        is_plain_response,
        [*RESPONSES, pytest.param(BENCH_RESPONSE, id="bench")],
    ),
    "responses<-anthropic": Direction(
        RESPONSES_ON_ANTHROPIC,
        "anthropic",
        RESPONSES_REQUEST,
        _responses_from_anthropic,
        lambda payload: plain_message_usage(payload) is not None,
        [*MESSAGES, *ANTHROPIC_FOR_RESPONSES, pytest.param(BENCH_MESSAGE, id="bench")],
    ),
    "responses<-anthropic-with-tools": Direction(
        RESPONSES_ON_ANTHROPIC,
        "anthropic",
        RESPONSES_TOOLS_REQUEST,
        _responses_from_anthropic,
        lambda payload: plain_message_usage(payload) is not None,
        [*MESSAGES, *ANTHROPIC_FOR_RESPONSES],
    ),
    "openai<-responses": Direction(
        OPENAI_ON_OPENAI_RESPONSES,
        "openai_responses",
        CHAT_REQUEST,
        _openai_from_responses,
        is_plain_response,
        [*RESPONSES, pytest.param(BENCH_RESPONSE, id="bench")],
    ),
    "anthropic<-openai": Direction(
        ANTHROPIC_ON_OPENAI_COMPAT,
        "openai_compat",
        MESSAGES_REQUEST,
        _anthropic_from_openai,
        _is_plain_completion,
        [*COMPLETIONS, pytest.param(BENCH_COMPLETION, id="bench")],
    ),
    "anthropic<-openai-with-tools": Direction(
        ANTHROPIC_ON_OPENAI_COMPAT,
        "openai_compat",
        MESSAGES_TOOLS_REQUEST,
        _anthropic_from_openai,
        _is_plain_completion,
        COMPLETIONS,
    ),
    "responses<-openai": Direction(
        RESPONSES_ON_OPENAI_COMPAT,
        "openai_compat",
        RESPONSES_REQUEST,
        _responses_from_openai,
        _is_plain_completion,
        [*COMPLETIONS, pytest.param(BENCH_COMPLETION, id="bench")],
    ),
    "responses<-openai-with-tools": Direction(
        RESPONSES_ON_OPENAI_COMPAT,
        "openai_compat",
        RESPONSES_TOOLS_REQUEST,
        _responses_from_openai,
        _is_plain_completion,
        COMPLETIONS,
    ),
}

# Random ids: 12 bytes, or 8 for a repaired call's; "resp_msg_…" is a fresh message id re-prefixed.
_FRESH_ID = re.compile(r"(chatcmpl-|msg_|toolu_|call_|resp_|fc_|rs_)([0-9a-f]{24}|[0-9a-f]{16})\b")


def outcome(answer: Callable[[], dict[str, Any]]) -> Any:
    """The answer as sent (JSON text, so key order counts; fresh random ids numbered), or the refusal."""
    try:
        sent = json.dumps(answer(), ensure_ascii=False)
    except UpstreamHTTPError as error:
        return ("refused", error.message)
    seen: dict[str, str] = {}
    return _FRESH_ID.sub(lambda m: seen.setdefault(m.group(0), f"{m.group(1)}fresh{len(seen)}"), sent)


def both(direction: Direction, payload: dict[str, Any], at: ProviderCall) -> tuple[Any, Any]:
    kept = copy.deepcopy(payload)
    direct = outcome(lambda: direction.adapter.client_answer(payload, at, direction.request, created=CREATED))
    assert payload == kept, "the upstream answer was changed (the recorder reads its usage afterwards)"
    return direct, outcome(lambda: direction.model_path(copy.deepcopy(payload), at, direction.request))


CORPUS = [
    pytest.param(name, param.values[0], id=f"{name}-{param.id}")
    for name, direction in DIRECTIONS.items()
    for param in direction.corpus
]


@pytest.mark.parametrize("filters", [pytest.param((), id="unfiltered"), pytest.param(FILTERS, id="filtered")])
@pytest.mark.parametrize(("name", "payload"), CORPUS)
def test_the_direct_answer_is_the_model_paths(
    name: str, payload: dict[str, Any], filters: tuple[OutputFilterName, ...]
) -> None:
    direction = DIRECTIONS[name]
    direct, modelled = both(direction, payload, call(direction.kind, filters))
    assert direct == modelled


@pytest.mark.parametrize("name", DIRECTIONS)
def test_every_change_of_an_answer_gets_the_model_paths_answer_or_refusal(name: str) -> None:
    direction = DIRECTIONS[name]
    at = call(direction.kind)
    direct_answers = 0
    for param in direction.corpus:
        for changed in mutations(param.values[0]):
            if not isinstance(changed, dict):
                continue
            direct_answers += direction.plain(changed)
            direct, modelled = both(direction, changed, at)
            assert direct == modelled, changed
    assert direct_answers > 100  # most changes (extra fields, nulls, other values) stay plain


@pytest.mark.parametrize("name", DIRECTIONS)
def test_the_typical_answers_take_the_direct_path(name: str) -> None:
    direction = DIRECTIONS[name]
    typical = [
        param.values[0] for param in direction.corpus if param.id in {"text", "text-and-tool", "bench"}
    ]
    assert typical and all(direction.plain(payload) for payload in typical)
