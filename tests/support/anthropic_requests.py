"""Anthropic Messages requests for the request translators' oracle tests: system as text and as
blocks, cache_control markers, images, documents, thinking (signed, unsigned, redacted), tool use
and results (text, blocks, errors), server tools, every tool_choice, stops, sampling, unicode; and
conversations generated from seeds."""

from __future__ import annotations

import random
from typing import Any

import pytest

PNG_DATA = "iVBORw0KGgo="
CACHE = {"type": "ephemeral"}

TOOLS: list[dict[str, Any]] = [
    {"name": "Bash", "description": "Run it.", "input_schema": {"type": "object", "required": ["command"]}},
    {"name": "Read", "input_schema": {"type": "object", "properties": {}}, "cache_control": CACHE},
    {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
]

TOOL_TURNS: list[dict[str, Any]] = [
    {"role": "user", "content": "list files"},
    {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "List first.", "signature": "sig-1"},
            {"type": "thinking", "thinking": "made up elsewhere", "signature": ""},
            {"type": "redacted_thinking", "data": "opaque"},
            {"type": "text", "text": "Running."},
            {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}},
            {"type": "tool_use", "id": "toolu_2", "name": "Read", "input": {}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt\nb.txt"},
            {
                "type": "tool_result",
                "tool_use_id": "toolu_2",
                "content": [
                    {"type": "text", "text": "shot:"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG_DATA},
                    },
                ],
                "is_error": True,
                "cache_control": CACHE,
            },
            {"type": "text", "text": "go on", "cache_control": CACHE},
        ],
    },
]

EDGE_CASES: dict[str, dict[str, Any]] = {
    "one-user-string": {},
    "system-string": {"system": "Be brief."},
    "system-empty": {"system": ""},
    "system-blocks-cached": {
        "system": [
            {"type": "text", "text": "You are Claude Code."},
            {"type": "text", "text": "ctx", "cache_control": CACHE},
        ]
    },
    "tool-loop": {"messages": TOOL_TURNS, "tools": TOOLS},
    "images-and-documents": {
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what are these"},
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": PNG_DATA},
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
                    {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
                    {
                        "type": "document",
                        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"},
                        "title": "t",
                    },
                    {
                        "type": "document",
                        "source": {"type": "text", "media_type": "text/plain", "data": "plain"},
                    },
                    {"type": "search_result", "source": "x", "title": "y", "content": []},
                ],
            }
        ]
    },
    "mid-conversation-system": {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "system", "content": "later rule"},
            {"role": "assistant", "content": "a"},
            {"role": "user", "content": [{"type": "text", "text": ""}]},
        ]
    },
    "unicode": {
        "system": "Réponds en français 🇫🇷",
        "messages": [{"role": "user", "content": "日本語\u2028line separator \ud83d\ude00"}],
        "metadata": {"user_id": "ユーザー"},
        "stop_sequences": ["終"],
    },
    "thinking-enabled": {
        "messages": TOOL_TURNS,
        "tools": TOOLS,
        "thinking": {"type": "enabled", "budget_tokens": 2000},
        "max_tokens": 32000,
    },
    "thinking-high-budget": {"thinking": {"type": "enabled", "budget_tokens": 30000}, "max_tokens": 64000},
    "thinking-disabled": {"thinking": {"type": "disabled"}},
    "thinking-adaptive": {"thinking": {"type": "adaptive"}},
    "tool-choice-auto-serial": {
        "tools": TOOLS,
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    },
    "tool-choice-any": {"tools": TOOLS, "tool_choice": {"type": "any"}},
    "tool-choice-tool": {
        "tools": TOOLS,
        "tool_choice": {"type": "tool", "name": "Bash", "disable_parallel_tool_use": True},
    },
    "tool-choice-none": {"tools": TOOLS, "tool_choice": {"type": "none"}},
    "only-server-tools": {"tools": [TOOLS[2]], "tool_choice": {"type": "any"}},
    "sampling": {
        "temperature": 0.3,
        "top_p": 0.9,
        "top_k": 40,
        "stream": True,
        "stop_sequences": ["END", "STOP"],
    },
    "sampling-ints": {"temperature": 1, "top_p": 0, "stream": False, "stop_sequences": []},
    "metadata-empty": {"metadata": {}},
    "anthropic-only-fields": {
        "output_config": {"effort": "high"},
        "context_management": {"edits": []},
        "profile": "coding",
        "service_tier": "auto",
    },
    "empty-assistant-and-tool-result-only": {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": []},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "orphan"}]},
        ]
    },
}


TEXTS = ["", "ok", "Let me check: ünïcode ✓", "a\nb\n"]


def _user_block(rng: random.Random, calls: int) -> dict[str, Any]:
    kind = rng.choice(["text", "text", "image", "tool_result", "document"])
    if kind == "text":
        return {"type": "text", "text": rng.choice(TEXTS)}
    if kind == "image":
        return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_DATA}}
    if kind == "document":
        return {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}}
    content = rng.choice([rng.choice(TEXTS), [{"type": "text", "text": rng.choice(TEXTS)}], [], None])
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": f"toolu_{rng.randint(0, calls)}"}
    if content is not None:
        block["content"] = content
    if rng.random() < 0.3:
        block["is_error"] = rng.choice([True, False])
    return block


def _assistant_block(rng: random.Random, call: int) -> dict[str, Any]:
    kind = rng.choice(["text", "tool_use", "tool_use", "thinking"])
    if kind == "text":
        return {"type": "text", "text": rng.choice(TEXTS)}
    if kind == "thinking":
        return {"type": "thinking", "thinking": "hm", "signature": rng.choice(["", "sig"])}
    return {
        "type": "tool_use",
        "id": f"toolu_{call}",
        "name": "Bash",
        "input": {"command": rng.choice(TEXTS)},
    }


def generated(seed: int) -> dict[str, Any]:
    """A conversation of random turns and blocks, with some of the request fields set."""
    rng = random.Random(seed)
    messages: list[dict[str, Any]] = []
    for turn in range(rng.randint(1, 10)):
        role = rng.choice(["user", "assistant", "user", "system"]) if turn else "user"
        if rng.random() < 0.3:
            messages.append({"role": role, "content": rng.choice(TEXTS)})
        elif role == "assistant":
            messages.append(
                {
                    "role": role,
                    "content": [_assistant_block(rng, turn * 10 + n) for n in range(rng.randint(0, 3))],
                }
            )
        elif role == "user":
            messages.append(
                {"role": role, "content": [_user_block(rng, turn * 10) for _ in range(rng.randint(0, 3))]}
            )
        else:
            messages.append({"role": role, "content": [{"type": "text", "text": rng.choice(TEXTS)}]})
    body: dict[str, Any] = {"messages": messages, "max_tokens": rng.choice([1, 1024, 32000])}
    if rng.random() < 0.5:
        body["tools"] = TOOLS[: rng.randint(0, len(TOOLS))]
        body["tool_choice"] = rng.choice(
            [{"type": "auto"}, {"type": "any", "disable_parallel_tool_use": True}]
        )
    for name, values in {
        "system": ["", "sys", [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]],
        "thinking": [{"type": "enabled", "budget_tokens": 500}, {"type": "enabled", "budget_tokens": 8000}],
        "temperature": [0.0, 0.7],
        "stream": [True, False],
        "metadata": [{"user_id": "u"}, {}],
    }.items():
        if rng.random() < 0.5:
            body[name] = rng.choice(values)
    return body


def anthropic_request_cases() -> list[Any]:
    """Every hand-written shape (over a one-turn request) and 60 generated conversations, as
    ``pytest.param`` bodies."""
    base = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": [{"role": "user", "content": "hi"}]}
    return [
        *(pytest.param(base | body, id=name) for name, body in EDGE_CASES.items()),
        *(pytest.param(base | generated(seed), id=f"seed-{seed}") for seed in range(60)),
    ]
