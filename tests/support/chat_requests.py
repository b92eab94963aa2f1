"""Chat Completions requests for the request translators' oracle tests: hand-written shapes (tools,
images, tool results, stops, sampling, thinking, JSON schemas, unknown parts and fields, unicode)
and conversations generated from seeds."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

PNG = "data:image/png;base64,iVBORw0KGgo="


def tool_call(call_id: str, name: str = "exec", arguments: str = '{"cmd":"ls"}') -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool(name: str, **function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, **function}}


TOOLS = [
    tool("exec", description="Run it.", parameters={"type": "object", "required": ["cmd"]}, strict=True),
    tool("no_params"),
    tool("empty_description", description="", parameters={}),
]

EDGE_CASES: dict[str, dict[str, Any]] = {
    "one-user-string": {"messages": [{"role": "user", "content": "hi"}]},
    "empty-user-string": {"messages": [{"role": "user", "content": ""}]},
    "system-and-developer": {
        "messages": [
            {"role": "system", "content": "sys"},
            {
                "role": "developer",
                "content": [{"type": "text", "text": "dev"}, {"type": "text", "text": "2"}],
            },
            {"role": "system", "content": ""},
            {"role": "user", "content": "q"},
            {"role": "system", "content": "late"},
        ]
    },
    "only-system": {"messages": [{"role": "system", "content": "just this"}]},
    "tool-loop": {
        "messages": [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": "checking", "tool_calls": [tool_call("c1"), tool_call("c2")]},
            {"role": "tool", "tool_call_id": "c1", "content": "a"},
            {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "b"}]},
            {"role": "tool", "tool_call_id": "c3", "content": ""},
            {"role": "user", "content": "then"},
            {"role": "assistant", "content": None, "tool_calls": [tool_call("c4", arguments="")]},
        ],
        "tools": TOOLS,
        "tool_choice": "auto",
    },
    "arguments-odd": {
        "messages": [
            {
                "role": "assistant",
                "tool_calls": [
                    tool_call("c1", arguments="not json"),
                    tool_call("c2", arguments="[1, 2]"),
                    tool_call("c3", arguments='{"nested": {"a": [1, null, 2.5]}, "u": "ü✓"}'),
                    tool_call("c4", arguments='{"n": NaN, "big": 1e400, "ok": [1e3, -2.5e-3]}'),
                    tool_call("c5", arguments="   "),
                ],
            }
        ]
    },
    "assistant-reasoning-content": {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "", "reasoning_content": "thought elsewhere"},
            {"role": "assistant", "content": "a", "reasoning_content": "more"},
            {
                "role": "assistant",
                "content": [{"type": "text", "text": "b"}, {"type": "refusal", "refusal": "no"}],
            },
        ]
    },
    "images-and-unknown-parts": {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this"},
                    {"type": "text", "text": ""},
                    {"type": "image_url", "image_url": {"url": PNG, "detail": "high"}},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg,notbase64"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
                    {"type": "file", "file": {"file_id": "f"}},
                ],
                "name": "someone",
            },
            {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]},
            {"role": "user", "content": "next"},
        ]
    },
    "unicode": {
        "messages": [
            {"role": "system", "content": "Réponds en français 🇫🇷"},
            {"role": "user", "content": "日本語のテキスト\u2028and a line separator \ud83d\ude00"},
        ],
        "user": "ユーザー",
        "stop": ["終", "\n\n"],
    },
    "tool-choice-none": {"tools": TOOLS, "tool_choice": "none", "parallel_tool_calls": False},
    "tool-choice-required-serial": {"tools": TOOLS, "tool_choice": "required", "parallel_tool_calls": False},
    "tool-choice-auto-parallel": {"tools": TOOLS, "tool_choice": "auto", "parallel_tool_calls": True},
    "tool-choice-serial-only": {"tools": TOOLS, "parallel_tool_calls": False},
    "tool-choice-named": {
        "tools": TOOLS,
        "tool_choice": {"type": "function", "function": {"name": "exec"}},
        "parallel_tool_calls": False,
    },
    "tool-choice-without-tools": {"tool_choice": "required", "parallel_tool_calls": False},
    "empty-tools": {"tools": [], "tool_choice": "auto"},
    "limits-both": {"max_tokens": 100, "max_completion_tokens": 2000},
    "limits-small": {"max_tokens": 1},
    "thinking-low": {"reasoning_effort": "low", "max_tokens": 8000},
    "thinking-high-fits": {"reasoning_effort": "high", "max_completion_tokens": 32000},
    "thinking-does-not-fit": {"reasoning_effort": "high", "max_tokens": 24576},
    "thinking-default-limit": {"reasoning_effort": "low"},
    "thinking-medium-default-limit": {"reasoning_effort": "medium"},
    "thinking-minimal-and-unknown": {"reasoning_effort": "xhigh", "max_tokens": 99999},
    "json-schema": {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": {"type": "object", "a": None, "b": [1, 2.5]}},
        }
    },
    "json-schema-without-schema": {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
    "json-schema-null": {"response_format": {"type": "json_schema", "json_schema": None}},
    "json-object": {"response_format": {"type": "json_object"}},
    "stop-string": {"stop": "END"},
    "stop-empty-list": {"stop": []},
    "stop-empty-string": {"stop": ""},
    "sampling-high": {"temperature": 1.7, "top_p": 0.5, "user": "u-1", "stream": True},
    "sampling-ints": {"temperature": 1, "top_p": 1, "user": "", "stream": False},
    "sampling-zero": {"temperature": 0, "top_p": 0},
    "openai-only-fields": {
        "n": 2,
        "seed": 7,
        "logprobs": True,
        "top_logprobs": 3,
        "logit_bias": {"1": 1},
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
        "metadata": {"a": "b"},
        "stream_options": {"include_usage": True},
        "top_k": 5,
        "profile": "coding",
        "some_new_field": {"keep": True},
    },
}

BASE_MESSAGES = [{"role": "user", "content": "hi"}]


def generated(seed: int) -> dict[str, Any]:
    """A chat conversation of random turns, with some of the request fields set."""
    rng = random.Random(seed)
    texts = ["", "ok", "Let me check: ünïcode ✓", "a\nb\n", "x" * 50]
    messages: list[dict[str, Any]] = []
    calls = 0
    for _ in range(rng.randint(0, 12)):
        role = rng.choice(["system", "developer", "user", "user", "assistant", "tool"])
        if role == "tool":
            messages.append(
                {"role": "tool", "tool_call_id": f"c{rng.randint(0, calls)}", "content": rng.choice(texts)}
            )
        elif role == "assistant":
            message: dict[str, Any] = {"role": "assistant", "content": rng.choice([None, *texts])}
            if rng.random() < 0.5:
                message["tool_calls"] = [
                    tool_call(f"c{calls + n}", arguments=json.dumps({"n": n, "t": rng.choice(texts)}))
                    for n in range(rng.randint(1, 3))
                ]
                calls += len(message["tool_calls"])
            messages.append(message)
        elif rng.random() < 0.4:
            parts = [
                rng.choice(
                    [
                        {"type": "text", "text": rng.choice(texts)},
                        {"type": "image_url", "image_url": {"url": PNG}},
                        {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
                    ]
                )
                for _ in range(rng.randint(0, 3))
            ]
            messages.append({"role": role, "content": parts})
        else:
            messages.append({"role": role, "content": rng.choice(texts)})
    body: dict[str, Any] = {"messages": messages or BASE_MESSAGES}
    if rng.random() < 0.5:
        body["tools"] = TOOLS[: rng.randint(0, len(TOOLS))]
        body["tool_choice"] = rng.choice(["auto", "none", "required", None])
        body["parallel_tool_calls"] = rng.choice([True, False, None])
    for name, values in {
        "max_tokens": [None, 1, 2048, 30000],
        "max_completion_tokens": [None, 8192],
        "reasoning_effort": [None, "low", "medium", "high", "minimal"],
        "temperature": [None, 0.0, 0.7, 2.0],
        "stop": [None, "END", ["a", "b"]],
        "stream": [None, True, False],
    }.items():
        value = rng.choice(values)
        if value is not None:
            body[name] = value
    return body


def chat_request_cases() -> list[Any]:
    """Every hand-written shape and 80 generated conversations, as ``pytest.param`` bodies."""
    return [
        *(pytest.param(body, id=name) for name, body in EDGE_CASES.items()),
        *(pytest.param(generated(seed), id=f"seed-{seed}") for seed in range(80)),
    ]
