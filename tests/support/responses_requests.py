"""Responses requests for the request translators' oracle tests: the ones the repository's tests
build and send (``fixtures/responses_requests.jsonl``, captured from the unit tests and the Responses
integration tests) and hand-written edge cases (tools and namespaces, images, tool outputs, reasoning
with and without packed Anthropic thinking, tool choices, text formats, sampling)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import RedactedThinkingBlock, ThinkingBlock
from coderouter_supervisor.worker.translate import ANTHROPIC_REASONING_PREFIX, pack_thinking

FIXTURE = Path(__file__).parent.parent / "fixtures" / "responses_requests.jsonl"

AnthropicThinking = ThinkingBlock | RedactedThinkingBlock


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
    "reasoning-with-user-and-sampling": {
        "input": "q",
        "reasoning": {"effort": "low"},
        "user": "u-2",
        "temperature": 0.5,
        "stream": True,
    },
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
