from __future__ import annotations

import copy
import json
import types
from typing import Any

import pytest

from coderouter_supervisor.worker import guards
from coderouter_supervisor.worker.guards import (
    LOOP_HINT,
    ToolLoop,
    ToolUse,
    anthropic_tool_uses,
    canonical_arguments,
    detect_tool_loop,
    inject_hint_anthropic,
    inject_hint_openai,
    openai_tool_uses,
    responses_tool_uses,
)


def test_public_api_is_pinned() -> None:
    public = {
        name
        for name, value in vars(guards).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert set(guards.__all__) == public
    for name in ("detect_tool_loop", "after_failure", "cooldown_until", "adaptive_order", "LOOP_HINT"):
        assert name in guards.__all__


def _read(path: str) -> ToolUse:
    return ToolUse("read", canonical_arguments({"path": path}))


A, B = _read("a.py"), _read("b.py")


@pytest.mark.parametrize(
    ("uses", "window", "threshold", "expected"),
    [
        pytest.param([], 5, 3, None, id="no-history"),
        pytest.param([A, A], 5, 3, None, id="below-threshold"),
        pytest.param([A, A, A], 5, 3, ToolLoop("read", 3), id="exactly-threshold"),
        pytest.param([A, A, A, A, A], 5, 3, ToolLoop("read", 5), id="streak-counts-all-repeats"),
        pytest.param([A, A, A, B], 5, 3, None, id="broken-streak-is-over"),
        pytest.param([A, B, A, B, A, B], 6, 3, None, id="alternating"),
        pytest.param([B, A, A, A], 5, 3, ToolLoop("read", 3), id="trailing-streak-after-other-call"),
        pytest.param(
            [ToolUse("read", "{}"), ToolUse("grep", "{}"), ToolUse("grep", "{}")],
            5,
            2,
            ToolLoop("grep", 2),
            id="name-matters",
        ),
        pytest.param([A, A, A, A, A, A], 2, 3, None, id="window-smaller-than-threshold"),
        pytest.param([A, A, A, A, A, A], 4, 3, ToolLoop("read", 4), id="window-caps-the-count"),
    ],
)
def test_detect_tool_loop(
    uses: list[ToolUse], window: int, threshold: int, expected: ToolLoop | None
) -> None:
    assert detect_tool_loop(uses, window=window, threshold=threshold) == expected


def test_window_tail_counts_only_the_last_entries() -> None:
    # The last three calls are A, B, B: the earlier run of A falls outside the window.
    assert detect_tool_loop([A, A, A, B, B], window=3, threshold=2) == ToolLoop("read", 2)
    assert detect_tool_loop([A, A, A, B, B], window=5, threshold=3) is None


def test_different_arguments_are_not_a_loop() -> None:
    uses = [_read("a.py"), _read("b.py"), _read("c.py")]
    assert detect_tool_loop(uses, window=5, threshold=3) is None


@pytest.mark.parametrize(
    ("window", "threshold"), [pytest.param(0, 3, id="window"), pytest.param(5, 0, id="thr")]
)
def test_detect_tool_loop_rejects_nonsense_limits(window: int, threshold: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        detect_tool_loop([A], window=window, threshold=threshold)


def test_loop_never_carries_the_arguments() -> None:
    secret = ToolUse("fetch", canonical_arguments({"token": "sk-secret"}))
    loop = detect_tool_loop([secret] * 3, window=5, threshold=3)
    assert loop == ToolLoop("fetch", 3)
    assert "sk-secret" not in repr(loop)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"b": 2, "a": 1}, '{"a":1,"b":2}', id="sorted-keys"),
        pytest.param({"a": {"d": 1, "c": [2, 1]}}, '{"a":{"c":[2,1],"d":1}}', id="nested"),
        pytest.param({"path": "café"}, '{"path":"café"}', id="unicode-kept"),
        pytest.param(None, "null", id="none"),
        pytest.param(["b", "a"], '["b","a"]', id="list-order-kept"),
    ],
)
def test_canonical_arguments(value: object, expected: str) -> None:
    assert canonical_arguments(value) == expected


def test_canonical_arguments_stringifies_the_unserialisable() -> None:
    assert canonical_arguments({"when": complex(1, 2)}) == '{"when":"(1+2j)"}'


def _anthropic_turn(*blocks: object) -> dict[str, Any]:
    return {"role": "assistant", "content": list(blocks)}


def _tool_use(name: str, arguments: object) -> dict[str, Any]:
    return {"type": "tool_use", "id": "toolu_1", "name": name, "input": arguments}


def test_anthropic_tool_uses_in_order_and_key_order_blind() -> None:
    messages = [
        {"role": "user", "content": [_tool_use("not-assistant", {})]},
        _anthropic_turn({"type": "text", "text": "let me look"}, _tool_use("read", {"b": 2, "a": 1})),
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "x"}]},
        _anthropic_turn(_tool_use("read", {"a": 1, "b": 2}), _tool_use("grep", {"q": "x"})),
    ]
    assert anthropic_tool_uses(messages) == [
        ToolUse("read", '{"a":1,"b":2}'),
        ToolUse("read", '{"a":1,"b":2}'),
        ToolUse("grep", '{"q":"x"}'),
    ]


@pytest.mark.parametrize(
    "messages",
    [
        pytest.param(None, id="none"),
        pytest.param({"role": "assistant"}, id="not-a-list"),
        pytest.param(["text", 3, None], id="non-dict-messages"),
        pytest.param([{"role": "assistant", "content": "plain text"}], id="string-content"),
        pytest.param([_anthropic_turn("x", 1, {"type": "tool_use", "name": 5})], id="odd-blocks"),
    ],
)
def test_anthropic_tool_uses_ignores_odd_shapes(messages: object) -> None:
    assert anthropic_tool_uses(messages) == []


def _openai_turn(*calls: object) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": list(calls)}


def _call(name: str, arguments: object) -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        pytest.param('{"b": 2, "a": 1}', '{"a":1,"b":2}', id="parsed-and-canonical"),
        pytest.param('{"path": "a.py"', '{"path": "a.py"', id="unparsable-kept-raw"),
        pytest.param("", "", id="empty-kept-raw"),
        pytest.param({"b": 1, "a": 2}, '{"a":2,"b":1}', id="already-an-object"),
    ],
)
def test_openai_tool_uses_arguments(arguments: object, expected: str) -> None:
    assert openai_tool_uses([_openai_turn(_call("read", arguments))]) == [ToolUse("read", expected)]


def test_openai_and_anthropic_agree_on_the_same_call() -> None:
    openai = openai_tool_uses([_openai_turn(_call("read", json.dumps({"z": [1], "a": "é"})))])
    anthropic = anthropic_tool_uses([_anthropic_turn(_tool_use("read", {"a": "é", "z": [1]}))])
    assert openai == anthropic


def test_openai_tool_uses_in_order_skipping_odd_entries() -> None:
    messages = [
        "junk",
        {"role": "user", "tool_calls": [_call("user-side", "{}")]},
        _openai_turn(_call("a", "{}"), "junk", {"function": "x"}, {"function": {"name": 1}}),
        {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
        {"role": "assistant", "tool_calls": None},
        _openai_turn(_call("b", "[1]"), _call("c", "{}")),
    ]
    assert [use.name for use in openai_tool_uses(messages)] == ["a", "b", "c"]


def test_unparsable_repeats_still_loop() -> None:
    messages = [_openai_turn(_call("write", '{"path": "x", "body": "unterminated')) for _ in range(3)]
    loop = detect_tool_loop(openai_tool_uses(messages), window=5, threshold=3)
    assert loop == ToolLoop("write", 3)


HINT_BLOCK = {"type": "text", "text": LOOP_HINT}


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        pytest.param(None, LOOP_HINT, id="none"),
        pytest.param("", LOOP_HINT, id="blank"),
        pytest.param("Be terse.", f"Be terse.\n\n{LOOP_HINT}", id="string"),
        pytest.param(
            [{"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral"}}],
            [{"type": "text", "text": "Be terse.", "cache_control": {"type": "ephemeral"}}, HINT_BLOCK],
            id="blocks",
        ),
        pytest.param([], [HINT_BLOCK], id="empty-blocks"),
        pytest.param(7, 7, id="odd-shape-left-alone"),
    ],
)
def test_inject_hint_anthropic(system: object, expected: object) -> None:
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "system": system}
    before = copy.deepcopy(body)
    result = inject_hint_anthropic(body)
    assert result["system"] == expected
    assert result["messages"] == before["messages"]
    assert body == before


def test_inject_hint_anthropic_without_system_key() -> None:
    body = {"model": "m", "messages": []}
    result = inject_hint_anthropic(body)
    assert result == {"model": "m", "messages": [], "system": LOOP_HINT}
    assert "system" not in body


USER = {"role": "user", "content": "hi"}


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        pytest.param(
            [{"role": "system", "content": "Be terse."}, USER],
            [{"role": "system", "content": f"Be terse.\n\n{LOOP_HINT}"}, USER],
            id="system-string",
        ),
        pytest.param(
            [{"role": "developer", "content": "Be terse."}, USER],
            [{"role": "developer", "content": f"Be terse.\n\n{LOOP_HINT}"}, USER],
            id="developer-string",
        ),
        pytest.param(
            [{"role": "system", "content": [{"type": "text", "text": "Be terse."}]}, USER],
            [{"role": "system", "content": [{"type": "text", "text": "Be terse."}, HINT_BLOCK]}, USER],
            id="system-parts",
        ),
        pytest.param(
            [{"role": "system", "content": None}, USER],
            [{"role": "system", "content": LOOP_HINT}, USER],
            id="system-without-content",
        ),
        pytest.param([USER], [{"role": "system", "content": LOOP_HINT}, USER], id="no-system-inserted-first"),
        pytest.param(
            [USER, {"role": "system", "content": "late"}],
            [{"role": "system", "content": LOOP_HINT}, USER, {"role": "system", "content": "late"}],
            id="system-not-first",
        ),
        pytest.param([], [{"role": "system", "content": LOOP_HINT}], id="empty"),
        pytest.param(
            ["junk", USER], [{"role": "system", "content": LOOP_HINT}, "junk", USER], id="non-dict-first"
        ),
    ],
)
def test_inject_hint_openai(messages: list[object], expected: list[object]) -> None:
    body: dict[str, Any] = {"model": "m", "messages": messages}
    before = copy.deepcopy(body)
    result = inject_hint_openai(body)
    assert result["messages"] == expected
    assert result["model"] == "m"
    assert body == before


def test_inject_hint_openai_without_messages_is_an_unchanged_copy() -> None:
    body = {"model": "m"}
    result = inject_hint_openai(body)
    assert result == body
    assert result is not body


def _function_call(name: str, arguments: str, namespace: str | None = None) -> dict[str, Any]:
    item = {"type": "function_call", "call_id": "c", "name": name, "arguments": arguments}
    return item if namespace is None else {**item, "namespace": namespace}


def test_responses_tool_uses_read_function_call_items_in_order() -> None:
    items = [
        {"role": "user", "content": "go"},
        _function_call("read", json.dumps({"z": 1, "a": 2})),
        {"type": "function_call_output", "call_id": "c", "output": "x"},
        _function_call("close_agent", "{}", namespace="multi_agent_v1"),
        "not an item",
        _function_call("read", "{not json"),
    ]
    assert responses_tool_uses(items) == [
        ToolUse("read", canonical_arguments({"a": 2, "z": 1})),
        ToolUse("multi_agent_v1.close_agent", "{}"),
        ToolUse("read", "{not json"),
    ]
    assert responses_tool_uses(None) == []


def test_responses_repeats_are_a_loop_whatever_the_key_order() -> None:
    items = [_function_call("read", json.dumps({"a": 1, "b": 2})), _function_call("read", '{"b": 2, "a": 1}')]
    assert detect_tool_loop(responses_tool_uses(items), window=5, threshold=2) is not None
