"""The direct Responses -> Anthropic request translator writes exactly the body the chain did.

The oracle is the chain the direct translator replaced: the Responses request made a chat request
by ``responses_request_to_openai`` (every field kept, reasoning asked for by effort, system messages
folded), that made an Anthropic request by ``openai_request_to_anthropic``, signed thinking put back
first in its tool-use turn, unsigned thinking stripped, dumped with ``to_wire``. Both run over the
Responses requests the repository's tests build and send (``fixtures/responses_requests.jsonl``,
captured from the unit tests and the Responses integration tests) and over hand-written edge cases;
their bodies are compared as JSON text, so key order counts too.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import (
    FunctionCallItem,
    InputItem,
    InputMessage,
    MessageParam,
    ReasoningItem,
    RedactedThinkingBlock,
    ResponsesRequest,
    ThinkingBlock,
    ThinkingDisabled,
    ToolUseBlock,
)
from coderouter_supervisor.worker.translate import (
    ANTHROPIC_REASONING_PREFIX,
    OpenAITarget,
    pack_thinking,
    responses_request_to_anthropic,
    responses_request_to_openai,
    strip_unsigned_thinking,
    unpack_thinking,
)

from support.request_oracles import openai_request_to_anthropic_model

FIXTURE = Path(__file__).parent.parent / "fixtures" / "responses_requests.jsonl"

_INTERMEDIATE = OpenAITarget(model="", reasoning_control="reasoning_effort", fold_system_messages=True)

AnthropicThinking = ThinkingBlock | RedactedThinkingBlock


def _thinking_by_call(items: Sequence[InputItem]) -> dict[str, list[AnthropicThinking]]:
    found: dict[str, list[AnthropicThinking]] = {}
    pending: list[AnthropicThinking] = []
    for item in items:
        if isinstance(item, ReasoningItem):
            block = unpack_thinking(item)
            if block is not None:
                pending.append(block)
        elif isinstance(item, FunctionCallItem):
            if pending:
                found[item.call_id], pending = pending, []
        elif not (isinstance(item, InputMessage) and item.role == "assistant"):
            pending = []
    return found


def _restore_thinking(turns: list[MessageParam], found: dict[str, list[AnthropicThinking]]) -> None:
    for turn in turns:
        if turn.role != "assistant" or not isinstance(turn.content, list):
            continue
        calls = [block.id for block in turn.content if isinstance(block, ToolUseBlock)]
        thinking = [block for call in calls for block in found.get(call, [])]
        turn.content[:0] = thinking


def chained_body(request: ResponsesRequest, *, model: str) -> dict[str, Any]:
    chat = responses_request_to_openai(request, _INTERMEDIATE)
    translated = openai_request_to_anthropic_model(chat.request, model=model)
    if (
        isinstance(request.input, list)
        and translated.thinking
        and not isinstance(translated.thinking, ThinkingDisabled)
    ):
        _restore_thinking(translated.messages, _thinking_by_call(request.input))
    return strip_unsigned_thinking(translated).to_wire()


def _packed(block: AnthropicThinking) -> str:
    packed = pack_thinking(block)
    assert packed is not None
    return packed


SIGNED = _packed(ThinkingBlock(type="thinking", thinking="List first.", signature="sig-1"))
SIGNED_2 = _packed(ThinkingBlock(type="thinking", thinking="Then read.", signature="sig-2"))
REDACTED = _packed(RedactedThinkingBlock(type="redacted_thinking", data="redacted-1"))
PNG = "data:image/png;base64,iVBORw0KGgo="


def user(content: Any) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": content}


def assistant(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}


def call(
    call_id: str, name: str = "exec_command", arguments: str = '{"cmd":"ls"}', **extra: Any
) -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": arguments} | extra


def output(call_id: str, result: Any = "ok") -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": result}


def reasoning(encrypted: str | None, summary: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {"type": "reasoning", "summary": [{"type": "summary_text", "text": summary}]}
    return item | ({"encrypted_content": encrypted} if encrypted is not None else {})


TOOLS: list[dict[str, Any]] = [
    {"type": "function", "name": "exec_command", "parameters": {"type": "object", "required": ["cmd"]}},
    {"type": "function", "name": "no_params", "description": ""},
    {
        "type": "namespace",
        "name": "multi_agent_v1",
        "description": "Agents.",
        "tools": [
            {"type": "function", "name": "close_agent", "description": "Close one."},
            {"type": "custom", "name": "freeform"},
        ],
    },
    {"type": "function", "name": "multi_agent_v1__close_agent"},
    {"type": "web_search"},
]
THINKING = {"reasoning": {"effort": "high"}, "max_output_tokens": 32000}

EDGE_CASES: dict[str, dict[str, Any]] = {
    "no-input": {},
    "empty-input": {"input": []},
    "string-input": {"input": "hi"},
    "empty-string-input": {"input": ""},
    "only-instructions": {"instructions": "Be brief."},
    "empty-instructions-and-developer": {
        "instructions": "",
        "input": [{"role": "developer", "content": ""}, {"role": "system", "content": "sys"}, user("q")],
    },
    "consecutive-tool-outputs": {
        "input": [user("go"), call("c1"), call("c2"), output("c1", "a"), output("c2", ""), output("c3", "x")],
    },
    "tool-output-first": {"input": [output("c0", "orphan"), user("then")]},
    "tool-output-parts": {
        "input": [
            call("c1"),
            output(
                "c1",
                [
                    {"type": "input_text", "text": "shot:"},
                    {"type": "input_image", "image_url": PNG},
                    {"type": "input_image", "file_id": "file-1"},
                    {"type": "input_file", "file_id": "file-2"},
                    {"type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"},
                ],
            ),
            user("and"),
        ]
    },
    "images-as-data-urls": {
        "input": [
            user(
                [
                    {"type": "input_text", "text": "what is this"},
                    {"type": "input_text", "text": ""},
                    {"type": "input_image", "image_url": PNG, "detail": "high"},
                    {"type": "input_image", "image_url": "data:image/jpeg,notbase64"},
                ]
            )
        ]
    },
    "user-text-parts-joined": {
        "input": [user([{"type": "input_text", "text": ""}, {"type": "input_text", "text": ""}])]
    },
    "user-only-unknown-parts": {"input": [user([{"type": "input_file", "file_id": "f"}]), user("next")]},
    "file-image-in-text": {
        "input": [
            user([{"type": "input_image", "file_id": "file-9"}]),
            {"role": "assistant", "content": [{"type": "input_image", "file_id": "file-8"}]},
            {"role": "developer", "content": [{"type": "input_image", "file_id": "file-7"}]},
        ]
    },
    "assistant-text-pieces": {
        "input": [user("q"), assistant("a"), assistant(""), {"role": "assistant", "content": "b"}, user("r")]
    },
    "empty-assistant-turn": {"input": [user("q"), assistant(""), user("r")]},
    "unknown-items": {
        "input": [
            user("q"),
            {"type": "item_reference", "id": "msg_0"},
            assistant("a"),
            {"type": "custom_tool_call", "call_id": "x", "name": "apply_patch", "input": "*"},
            call("c1"),
            {"type": "local_shell_call", "id": "ls_1"},
            output("c1"),
        ]
    },
    "developer-between-calls": {
        "input": [user("q"), call("c1"), {"role": "developer", "content": "note"}, call("c2"), output("c1")],
        **THINKING,
    },
    "arguments-odd": {
        "input": [
            call("c1", arguments=""),
            call("c2", arguments="not json"),
            call("c3", arguments="[1, 2]"),
            call("c4", arguments='{"nested": {"a": [1, null, 2.5]}}'),
            call("c7", arguments='{"n": NaN, "big": 1e400, "neg": -Infinity, "ok": [1e3, -2.5e-3]}'),
            call("c5", name="close_agent", namespace="multi_agent_v1", arguments="{}"),
            call("c6", name="gone", namespace="other_ns", arguments="{}"),
        ],
        "tools": TOOLS,
    },
    "reasoning-with-and-without-encrypted-content": {
        "input": [
            user("q"),
            reasoning(None, "plan"),
            reasoning("gAAAA-openai-blob"),
            reasoning(SIGNED),
            reasoning(REDACTED),
            assistant("Running."),
            call("c1"),
            call("c2"),
            output("c1"),
            output("c2"),
            reasoning(SIGNED_2),
            call("c3"),
            output("c3"),
        ],
        **THINKING,
    },
    "reasoning-without-thinking": {"input": [reasoning(SIGNED), call("c1"), output("c1")]},
    "reasoning-thinking-does-not-fit": {
        "input": [reasoning(SIGNED), call("c1"), output("c1")],
        "reasoning": {"effort": "high"},
        "max_output_tokens": 24576,
    },
    "reasoning-default-max-tokens": {
        "input": [reasoning(SIGNED), call("c1"), output("c1")],
        "reasoning": {"effort": "low"},
    },
    "reasoning-turn-ends-without-call": {
        "input": [reasoning(SIGNED), assistant("done"), user("more"), call("c1"), output("c1")],
        **THINKING,
    },
    "reasoning-reset-by-unknown-item": {
        "input": [reasoning(SIGNED), {"type": "item_reference", "id": "x"}, call("c1"), output("c1")],
        **THINKING,
    },
    "reasoning-damaged": {
        "input": [reasoning(ANTHROPIC_REASONING_PREFIX + "!!"), call("c1"), output("c1")],
        **THINKING,
    },
    "reasoning-efforts": {"input": "q", "reasoning": {"effort": "minimal", "summary": "auto"}},
    "reasoning-unknown-effort": {"input": "q", "reasoning": {"effort": "xhigh"}, "max_output_tokens": 99999},
    "reasoning-medium": {"input": "q", "reasoning": {"effort": "medium"}, "max_output_tokens": 9000},
    "tools-namespaces-and-hosted": {"input": "q", "tools": TOOLS, "parallel_tool_calls": False},
    "only-hosted-tools": {"input": "q", "tools": [{"type": "web_search"}], "tool_choice": "required"},
    "tool-choice-none": {"input": "q", "tools": TOOLS, "tool_choice": "none", "parallel_tool_calls": False},
    "tool-choice-required-serial": {
        "input": "q",
        "tools": TOOLS,
        "tool_choice": "required",
        "parallel_tool_calls": False,
    },
    "tool-choice-auto-parallel": {
        "input": "q",
        "tools": TOOLS,
        "tool_choice": "auto",
        "parallel_tool_calls": True,
    },
    "tool-choice-function": {
        "input": "q",
        "tools": TOOLS,
        "tool_choice": {"type": "function", "name": "exec_command"},
        "parallel_tool_calls": False,
    },
    "tool-choice-namespaced": {
        "input": "q",
        "tools": TOOLS,
        "tool_choice": {"type": "function", "name": "close_agent", "namespace": "multi_agent_v1"},
    },
    "tool-choice-allowed-tools": {
        "input": "q",
        "tools": TOOLS,
        "tool_choice": {"type": "allowed_tools", "mode": "auto", "tools": []},
    },
    "tool-choice-without-tools": {"input": "q", "tool_choice": "required", "parallel_tool_calls": False},
    "json-schema": {
        "input": "q",
        "text": {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object", "a": None}}},
    },
    "json-schema-without-schema": {"input": "q", "text": {"format": {"type": "json_schema", "name": "x"}}},
    "json-object": {"input": "q", "text": {"format": {"type": "json_object"}, "verbosity": "low"}},
    "text-format-text": {"input": "q", "text": {"format": {"type": "text"}}},
    "sampling-and-user": {"input": "q", "temperature": 1.5, "top_p": 0.5, "user": "u-1", "stream": True},
    "sampling-low": {"input": "q", "temperature": 0.2, "top_p": 1, "user": "", "stream": False},
    "responses-only-fields": {
        "input": "q",
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "k",
        "metadata": {"a": "b"},
        "client_metadata": {"turn": "1"},
        "service_tier": "auto",
        "stop": ["END"],
    },
}


def _fixture_requests() -> list[Any]:
    lines = FIXTURE.read_text().splitlines()
    return [pytest.param(json.loads(line), id=f"fixture-{number}") for number, line in enumerate(lines, 1)]


CASES = [
    *(pytest.param({"model": "m"} | body, id=name) for name, body in EDGE_CASES.items()),
    *_fixture_requests(),
]


@pytest.mark.parametrize("body", CASES)
def test_the_direct_body_is_the_chained_body(body: dict[str, Any]) -> None:
    request = ResponsesRequest.model_validate(copy.deepcopy(body))
    expected = chained_body(request, model="claude-x")
    assert json.dumps(responses_request_to_anthropic(request, model="claude-x")) == json.dumps(expected)


def test_the_fixture_holds_every_shape_the_oracle_needs() -> None:
    requests = [
        ResponsesRequest.model_validate(json.loads(line)) for line in FIXTURE.read_text().splitlines()
    ]
    item_types = {
        type(item).__name__
        for request in requests
        if isinstance(request.input, list)
        for item in request.input
    }
    assert {
        "InputMessage",
        "FunctionCallItem",
        "FunctionCallOutputItem",
        "ReasoningItem",
        "UnknownItem",
    } <= item_types
    assert any(request.tools for request in requests)


def test_unsigned_thinking_is_not_replayed() -> None:
    blob = base64.urlsafe_b64encode(json.dumps({"thinking": "made up", "signature": ""}).encode()).decode()
    unsigned = ANTHROPIC_REASONING_PREFIX + blob
    request = ResponsesRequest.model_validate(
        {
            "model": "m",
            "input": [reasoning(unsigned), reasoning(SIGNED), call("c1"), output("c1")],
            **THINKING,
        }
    )
    body = responses_request_to_anthropic(request, model="claude-x")
    assert body["messages"][0]["content"] == [
        {"type": "thinking", "thinking": "List first.", "signature": "sig-1"},
        {"type": "tool_use", "id": "c1", "name": "exec_command", "input": {"cmd": "ls"}},
    ]


def test_the_body_is_a_fresh_dict_each_time() -> None:
    request = ResponsesRequest.model_validate({"model": "m", "input": [user("q")]})
    first = responses_request_to_anthropic(request, model="claude-x")
    first["messages"][0]["content"].append({"type": "text", "text": "changed"})
    assert responses_request_to_anthropic(request, model="claude-x")["messages"][0]["content"] == [
        {"type": "text", "text": "q"}
    ]
