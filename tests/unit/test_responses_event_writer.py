from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.errors import MidStreamFailure
from coderouter_supervisor.worker.translate import ResponseEcho, ResponsesEventWriter, TokenUsage


def writer() -> ResponsesEventWriter:
    return ResponsesEventWriter(
        response_id="resp_1",
        model="m",
        created_at=7,
        echo=ResponseEcho(parallel_tool_calls=False, tool_choice="required", tools=({"type": "function"},)),
    )


def wires(events: list[Any]) -> list[dict[str, Any]]:
    return [event.to_wire() for event in events]


def test_text_after_a_function_call_starts_a_new_message() -> None:
    w = writer()
    events = w.text("a") + w.function_call("c1", "f") + w.arguments("{}") + w.text("b") + w.complete(None)
    done = [wire["item"] for wire in wires(events) if wire["type"] == "response.output_item.done"]
    assert [(item["type"], item.get("content", [{}])[0].get("text")) for item in done] == [
        ("message", "a"),
        ("function_call", None),
        ("message", "b"),
    ]
    assert len({item["id"] for item in done}) == 3
    final = wires(events)[-1]["response"]
    assert [item["id"] for item in final["output"]] == [item["id"] for item in done]
    assert (final["parallel_tool_calls"], final["tool_choice"], final["tools"]) == (
        False,
        "required",
        [{"type": "function"}],
    )


def test_arguments_without_an_open_call_are_ignored() -> None:
    w = writer()
    assert w.arguments("{}") == []
    assert not w.started
    w.text("x")
    assert w.arguments("{}") == []


def test_opaque_reasoning_is_one_item_without_summary_events() -> None:
    w = writer()
    events = wires(w.seal_reasoning("blob"))
    assert [wire["type"] for wire in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
    ]
    assert events[-1]["item"] == {
        "type": "reasoning",
        "id": events[-1]["item"]["id"],
        "summary": [],
        "encrypted_content": "blob",
    }


def test_nothing_follows_the_end() -> None:
    w = writer()
    end = wires(w.text("x") + w.complete(TokenUsage(input_tokens=2, output_tokens=1)))
    assert end[-1]["response"]["usage"]["total_tokens"] == 3
    assert w.text("more") + w.reasoning("r") + w.function_call("c", "f") + w.close() == []
    assert w.complete(None) == [] and w.fail(MidStreamFailure("x", provider="p")) == []


def test_a_failure_before_any_content_still_opens_the_response() -> None:
    events = wires(writer().fail(MidStreamFailure("upstream hung up", provider="p")))
    assert [wire["type"] for wire in events] == [
        "response.created",
        "response.in_progress",
        "response.failed",
    ]
    assert events[-1]["response"]["error"] == {"code": "server_error", "message": "upstream hung up"}
    assert events[-1]["response"]["status"] == "failed"
