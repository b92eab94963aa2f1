"""Decisions made from the request itself: tool loops, thinking and prompt-cache capability gates."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Lab
from support.fake_upstream import Reply
from support.ingress import COMBINATIONS, RESPONSES_COMBINATIONS, IngressName, events, send

pytestmark = pytest.mark.integration

LOOP_ARGS = {"path": "src/app.py", "secret": "do-not-echo-me"}


def looping_history(ingress: IngressName, repeats: int = 3) -> list[dict[str, Any]]:
    """A conversation where the agent read the same file ``repeats`` times in a row."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "fix the bug"}]
    for turn in range(repeats):
        call_id = f"call_{turn}"
        if ingress == "responses":
            arguments = json.dumps(LOOP_ARGS)
            messages.append(
                {"type": "function_call", "call_id": call_id, "name": "read_file", "arguments": arguments}
            )
            messages.append({"type": "function_call_output", "call_id": call_id, "output": "same text"})
        elif ingress == "anthropic":
            messages.append(
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": call_id, "name": "read_file", "input": LOOP_ARGS}],
                }
            )
            messages.append(
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": call_id, "content": "same text"}],
                }
            )
        else:
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": "read_file", "arguments": json.dumps(LOOP_ARGS)},
                        }
                    ],
                }
            )
            messages.append({"role": "tool", "tool_call_id": call_id, "content": "same text"})
    return messages


def upstream_system_text(lab: Lab) -> str:
    body = lab.backup.requests[-1].body
    return "\n".join(str(m.get("content")) for m in body["messages"] if m.get("role") == "system")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS + RESPONSES_COMBINATIONS)
def test_tool_loop_warn_only_logs(lab: Lab, ingress: IngressName, stream: bool) -> None:
    answer = send(lab.gateway, ingress, stream, profile="loop-warn", messages=looping_history(ingress))

    assert answer.status == 200, answer.raw
    assert "same tool with the same arguments" not in upstream_system_text(lab)
    [detected] = events(lab.gateway, "tool-loop-detected", profile="loop-warn", action="warn")[-1:]
    assert detected["tool_name"] == "read_file" and detected["repeat_count"] >= 3


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS + RESPONSES_COMBINATIONS)
def test_tool_loop_inject_adds_the_hint_to_system(lab: Lab, ingress: IngressName, stream: bool) -> None:
    answer = send(
        lab.gateway,
        ingress,
        stream,
        profile="loop-inject",
        messages=looping_history(ingress),
        system="Be brief.",
    )

    assert answer.status == 200, answer.raw
    system = upstream_system_text(lab)
    assert system.startswith("Be brief.")
    assert "same tool with the same arguments" in system
    assert events(lab.gateway, "tool-loop-detected", profile="loop-inject", action="inject")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS + RESPONSES_COMBINATIONS)
def test_tool_loop_break_refuses_without_echoing_arguments(
    lab: Lab, ingress: IngressName, stream: bool
) -> None:
    answer = send(lab.gateway, ingress, stream, profile="loop-break", messages=looping_history(ingress))

    assert lab.backup.requests == []
    assert answer.error is not None, answer.raw
    if stream:
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
    else:
        assert answer.status == 400
    if ingress == "responses" and stream:  # response.failed carries a code, not a type
        assert answer.error["code"] == "tool_loop_detected"
    else:
        assert answer.error["type"] == "invalid_request_error"
    assert "tool loop detected" in answer.error["message"]
    assert "do-not-echo-me" not in answer.raw
    assert "do-not-echo-me" not in lab.gateway.log()
    assert events(lab.gateway, "tool-loop-detected", profile="loop-break", action="break")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS + RESPONSES_COMBINATIONS)
def test_short_streak_is_not_a_loop(lab: Lab, ingress: IngressName, stream: bool) -> None:
    before = len(events(lab.gateway, "tool-loop-detected", profile="loop-break"))

    answer = send(
        lab.gateway, ingress, stream, profile="loop-break", messages=looping_history(ingress, repeats=2)
    )

    assert answer.status == 200 and answer.error is None, answer.raw
    assert len(events(lab.gateway, "tool-loop-detected", profile="loop-break")) == before


def thinking_request(ingress: IngressName) -> dict[str, Any]:
    if ingress == "anthropic":
        return {"thinking": {"type": "enabled", "budget_tokens": 32}}
    # Room for the thinking budget "low" translates to (Anthropic needs budget < max_tokens).
    return {"reasoning_effort": "low", "max_tokens": 4096}


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_thinking_request_goes_to_a_provider_that_can_think_first(
    lab: Lab, ingress: IngressName, stream: bool
) -> None:
    lab.claude.reset(Reply(text="thought about it"))

    answer = send(lab.gateway, ingress, stream, profile="thinking", extra=thinking_request(ingress))

    assert answer.status == 200, answer.raw
    assert answer.provider == "thinker"
    assert lab.primary.requests == []
    assert lab.claude.requests[-1].body["thinking"]["type"] == "enabled"
    assert events(lab.gateway, "capability-degraded", provider="primary", reason="provider-does-not-support")
    # Not silent: the answer and the log say the chain was reordered, and what went back.
    assert answer.fallback_chain == "primary;deferred=thinking, thinker;ok"
    [*_, reordered] = events(lab.gateway, "chain-reordered-for-thinking", profile="thinking")
    assert reordered["deferred"] == ["primary"] and reordered["effective_order"] == ["thinker", "primary"]


@pytest.mark.parametrize("stream", [False, True])
def test_cache_markers_translated_away_are_reported(lab: Lab, stream: bool) -> None:
    marked = {"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}
    before = len(events(lab.gateway, "capability-degraded", provider="primary", reason="translation-lossy"))

    answer = send(
        lab.gateway, "anthropic", stream, profile="fallback", messages=[{"role": "user", "content": [marked]}]
    )

    assert answer.status == 200 and answer.provider == "primary", answer.raw
    assert "cache_control" not in json.dumps(lab.primary.requests[-1].body)
    after = events(lab.gateway, "capability-degraded", provider="primary", reason="translation-lossy")
    assert len(after) == before + 1
    assert after[-1]["dropped"] == ["cache_control"]


@pytest.mark.parametrize("stream", [False, True])
def test_openai_shaped_cache_markers_pass_through(lab: Lab, stream: bool) -> None:
    marked = {"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}
    before = len(events(lab.gateway, "capability-degraded", provider="primary", reason="translation-lossy"))

    answer = send(
        lab.gateway, "openai", stream, profile="fallback", messages=[{"role": "user", "content": [marked]}]
    )

    assert answer.status == 200 and answer.provider == "primary", answer.raw
    assert lab.primary.requests[-1].body["messages"][0]["content"][0]["cache_control"] == {
        "type": "ephemeral"
    }
    assert (
        len(events(lab.gateway, "capability-degraded", provider="primary", reason="translation-lossy"))
        == before
    )
