"""The openai SDK's Responses API (``client.responses``) through the gateway to each upstream kind.

``local`` is an OpenAI-compatible upstream (the request is translated to chat completions), ``claude``
an Anthropic one (translated to messages). The same client-side assertions hold for both.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import openai
import pytest

from support.fake_upstream import Failure, Reply, ToolCall, Usage
from support.ingress import events
from support.stack import CLIENT_KEY, Stack

pytestmark = pytest.mark.integration

MODEL = "gpt-5-codex"
TRANSLATED = [pytest.param("local", id="openai_compat"), pytest.param("claude", id="anthropic")]
KINDS = [*TRANSLATED, pytest.param("local-responses", id="openai_responses")]
# Where each kind's request carries the output limit.
LIMIT_FIELD = {"local": "max_tokens", "claude": "max_tokens", "local-responses": "max_output_tokens"}

EXEC_COMMAND = {
    "type": "function",
    "name": "exec_command",
    "description": "Run a shell command",
    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
}
AGENTS = {
    "type": "namespace",
    "name": "multi_agent_v1",
    "description": "Sub-agents",
    "tools": [
        {
            "type": "function",
            "name": "close_agent",
            "description": "Close one",
            "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
        }
    ],
}
WEB_SEARCH = {"type": "web_search", "external_web_access": False}


def _sent_tool_names(body: dict[str, Any]) -> set[str]:
    return {tool.get("name") or tool["function"]["name"] for tool in body.get("tools", [])}


@pytest.mark.parametrize("profile", KINDS)
def test_text_non_stream(fresh: Stack, profile: str) -> None:
    fresh.upstream(profile).queue(Reply(text="Bonjour", usage=Usage(input_tokens=11, output_tokens=2)))
    response = fresh.openai_client(profile).responses.create(
        model=MODEL,
        instructions="Be French.",
        input=[{"role": "developer", "content": "Short answers."}, {"role": "user", "content": "hello"}],
        max_output_tokens=50,
    )
    assert response.output_text == "Bonjour"
    assert response.status == "completed"
    assert response.id.startswith("resp_")
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (
        11,
        2,
        13,
    )
    sent = fresh.upstream(profile).last.body
    assert "Be French." in json.dumps(sent) and "Short answers." in json.dumps(sent)
    assert sent[LIMIT_FIELD[profile]] == 50
    assert sent["stream"] is False


@pytest.mark.parametrize("profile", KINDS)
def test_text_stream_event_sequence_and_usage(fresh: Stack, profile: str) -> None:
    fresh.upstream(profile).queue(
        Reply(text="one two three", usage=Usage(input_tokens=9, output_tokens=4, cache_read_tokens=5))
    )
    with fresh.openai_client(profile).responses.stream(model=MODEL, input="count") as stream:
        seen = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == "one two three"
    assert seen[:2] == ["response.created", "response.in_progress"]
    assert seen[-1] == "response.completed"
    for expected in ("response.output_item.added", "response.output_text.delta", "response.output_item.done"):
        assert expected in seen
    assert final.usage is not None
    assert final.usage.input_tokens == 14  # cached tokens count inside input_tokens
    assert final.usage.input_tokens_details.cached_tokens == 5
    assert final.usage.output_tokens == 4


@pytest.mark.parametrize("profile", TRANSLATED)
@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_tool_round_trip_with_namespace_names_mapped_back(fresh: Stack, profile: str, streamed: bool) -> None:
    upstream = fresh.upstream(profile)
    upstream.queue(
        Reply(
            text="",
            tool_calls=(
                ToolCall("exec_command", {"cmd": "ls"}, id="call_1"),
                ToolCall("multi_agent_v1__close_agent", {"id": "a1"}, id="call_2"),
            ),
        ),
        Reply(text="Two files."),
    )
    client = fresh.openai_client(profile)
    tools: Any = [EXEC_COMMAND, AGENTS, WEB_SEARCH]
    first_input: Any = [{"role": "user", "content": "list files"}]
    if streamed:
        with client.responses.stream(model=MODEL, input=first_input, tools=tools) as stream:
            first = stream.get_final_response()
    else:
        first = client.responses.create(model=MODEL, input=first_input, tools=tools)
    calls = [item for item in first.output if item.type == "function_call"]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("exec_command", {"cmd": "ls"}),
        ("close_agent", {"id": "a1"}),
    ]
    assert calls[1].model_dump().get("namespace") == "multi_agent_v1"
    sent = upstream.last.body
    assert _sent_tool_names(sent) == {"exec_command", "multi_agent_v1__close_agent"}  # web_search dropped
    dropped = events(fresh.gateway, "request-fields-dropped")
    assert any(event["fields"] == ["tools[web_search]"] for event in dropped)

    replay = [item.model_dump(exclude_none=True) for item in first.output]
    second = client.responses.create(
        model=MODEL,
        input=[
            *first_input,
            *replay,
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": "a.txt\nb.txt"},
            {"type": "function_call_output", "call_id": calls[1].call_id, "output": "closed"},
        ],
        tools=tools,
    )
    assert second.output_text == "Two files."
    back = json.dumps(upstream.last.body)
    assert "a.txt\\nb.txt" in back and calls[0].call_id in back
    assert "multi_agent_v1__close_agent" in back  # the replayed call under its flat name


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_tool_round_trip_passes_through_to_a_responses_upstream(fresh: Stack, streamed: bool) -> None:
    upstream = fresh.upstream("local-responses")
    upstream.queue(
        Reply(text="", tool_calls=(ToolCall("exec_command", {"cmd": "ls"}, id="call_1"),)),
        Reply(text="Two files."),
    )
    client = fresh.openai_client("local-responses")
    tools: Any = [EXEC_COMMAND, AGENTS, WEB_SEARCH]
    first_input: Any = [{"role": "user", "content": "list files"}]
    if streamed:
        with client.responses.stream(model=MODEL, input=first_input, tools=tools) as stream:
            first = stream.get_final_response()
    else:
        first = client.responses.create(model=MODEL, input=first_input, tools=tools)
    [call] = [item for item in first.output if item.type == "function_call"]
    assert (call.name, json.loads(call.arguments)) == ("exec_command", {"cmd": "ls"})
    assert upstream.last.body["tools"] == tools  # namespaces and hosted tools reach an upstream that has them

    replay = [item.model_dump(exclude_none=True) for item in first.output]
    output = {"type": "function_call_output", "call_id": call.call_id, "output": "a.txt\nb.txt"}
    second = client.responses.create(model=MODEL, input=[*first_input, *replay, output], tools=tools)
    assert second.output_text == "Two files."
    sent = upstream.last.body["input"]
    assert sent[-1] == output
    assert any(item.get("type") == "function_call" and item.get("call_id") == call.call_id for item in sent)


@pytest.mark.parametrize("profile", KINDS)
def test_reasoning_comes_back_as_a_summary(fresh: Stack, profile: str) -> None:
    fresh.upstream(profile).queue(Reply(text="42", reasoning="six times seven"))
    with fresh.openai_client(profile).responses.stream(
        model=MODEL, input="answer", reasoning={"effort": "high", "summary": "auto"}
    ) as stream:
        final = stream.get_final_response()
    reasoning = [item for item in final.output if item.type == "reasoning"]
    assert len(reasoning) == 1
    assert "".join(part.text for part in reasoning[0].summary) == "six times seven"
    assert final.output_text == "42"


@pytest.mark.parametrize("profile", KINDS)
def test_upstream_error_keeps_its_wording_in_the_envelope(fresh: Stack, profile: str) -> None:
    fresh.upstream(profile).queue(
        Failure(400, "the widget is not supported", error_type="invalid_request_error")
    )
    with pytest.raises(openai.BadRequestError) as raised:
        fresh.openai_client(profile).responses.create(model=MODEL, input="hi")
    assert "the widget is not supported" in str(raised.value)


@pytest.mark.parametrize("profile", TRANSLATED)
@pytest.mark.parametrize(
    "field", [{"previous_response_id": "resp_abc"}, {"store": True}], ids=["previous_response_id", "store"]
)
def test_server_side_state_is_refused_with_a_clear_400(
    fresh: Stack, profile: str, field: dict[str, Any]
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        fresh.openai_client(profile).responses.create(model=MODEL, input="hi", **field)
    assert next(iter(field)) in str(raised.value)
    assert "store: false" in str(raised.value)
    assert fresh.upstream(profile).calls() == []


@pytest.mark.parametrize(
    "item",
    [
        {"type": ["message"], "role": "user", "content": "hi"},
        {"type": {"k": 1}, "role": "user", "content": "hi"},
        {"role": "user", "content": [{"type": ["input_text"], "text": "hi"}]},
    ],
    ids=["item-list", "item-object", "part-list"],
)
def test_an_input_type_that_is_not_a_string_is_a_400(fresh: Stack, item: dict[str, Any]) -> None:
    # It reached a set lookup in the discriminator and failed as a 500.
    with pytest.raises(openai.BadRequestError) as raised:
        fresh.openai_client("local").responses.create(model=MODEL, input=[item])  # type: ignore[list-item]
    assert "input" in str(raised.value)
    assert fresh.upstream("local").calls() == []


@pytest.mark.parametrize("profile", KINDS)
def test_failure_after_the_first_byte_is_response_failed(fresh: Stack, profile: str) -> None:
    fresh.upstream(profile).queue(
        Reply(text="a long answer that breaks", chunk_chars=3, error_after=6, error_message="Overloaded now")
    )
    with fresh.openai_client(profile).responses.stream(model=MODEL, input="hi") as stream:
        seen = list(stream)
    types = [event.type for event in seen]
    assert types[0] == "response.created"
    assert "response.output_text.delta" in types
    assert types[-1] == "response.failed"
    assert "response.completed" not in types
    failed = seen[-1]
    assert failed.type == "response.failed"
    assert failed.response.error is not None
    assert "Overloaded now" in failed.response.error.message


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_anthropic_thinking_is_encrypted_content_only_when_asked_and_goes_back_signed(
    fresh: Stack, streamed: bool
) -> None:
    fresh.claude.queue(
        Reply(
            text="", reasoning="check the dir", tool_calls=(ToolCall("exec_command", {"cmd": "ls"}, id="t1"),)
        ),
        Reply(text="", reasoning="again", tool_calls=(ToolCall("exec_command", {"cmd": "ls"}, id="t2"),)),
        Reply(text="Done."),
    )
    client = fresh.openai_client("claude")
    tools: Any = [EXEC_COMMAND]
    asks: Any = {"effort": "low"}  # a thinking budget that fits the default output limit

    def turn(**extra: Any) -> Any:
        request: Any = {"model": MODEL, "input": "list", "tools": tools, "reasoning": asks, **extra}
        if not streamed:
            return client.responses.create(**request)
        with client.responses.stream(**request) as stream:
            return stream.get_final_response()

    plain = turn()
    [hidden] = [item for item in plain.output if item.type == "reasoning"]
    assert hidden.encrypted_content is None
    assert [part.text for part in hidden.summary] == ["check the dir"]

    asked = turn(include=["reasoning.encrypted_content"])
    [sealed] = [item for item in asked.output if item.type == "reasoning"]
    assert sealed.encrypted_content

    replay = [item.model_dump(exclude_none=True) for item in asked.output]
    [call] = [item for item in asked.output if item.type == "function_call"]
    client.responses.create(
        model=MODEL,
        input=[
            {"role": "user", "content": "list"},
            *replay,
            {"type": "function_call_output", "call_id": call.call_id, "output": "a.txt"},
        ],
        tools=tools,
        reasoning=asks,
    )
    assistant = [m for m in fresh.claude.last.body["messages"] if m["role"] == "assistant"][-1]
    assert assistant["content"][0] == {"type": "thinking", "thinking": "again", "signature": "sig-fake"}


def test_pings_keep_a_silent_prefill_alive(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="finally", silence_s=12.0))  # longer than the 10 s ping interval
    started = time.monotonic()
    pings: list[float] = []
    first_event_at = None
    with httpx.stream(
        "POST",
        f"{fresh.gateway.base_url}/v1/responses",
        headers={"authorization": f"Bearer {CLIENT_KEY}", "x-coderouter-profile": "local"},
        json={"model": MODEL, "input": "x", "stream": True},
        timeout=60,
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith(": ping"):
                pings.append(time.monotonic() - started)
            elif line.startswith("data:") and first_event_at is None:
                first_event_at = time.monotonic() - started
    assert pings and first_event_at is not None
    assert pings[0] <= 11.0 < first_event_at  # a keep-alive within the interval, long before any event


def test_explained_in_headers_and_counted_under_the_responses_ingress(fresh: Stack) -> None:
    raw = fresh.openai_client("local").responses.with_raw_response.create(model=MODEL, input="hi")
    assert raw.headers["x-coderouter-profile"] == "local"
    assert raw.headers["x-coderouter-provider"] == "ollama"
    assert raw.parse().output_text == "Hello from the fake upstream."
    deadline = time.monotonic() + 10  # metrics are flushed about once a second
    counted = False
    while not counted and time.monotonic() < deadline:
        text = httpx.get(f"{fresh.gateway.base_url}/metrics", timeout=10).text
        counted = any(
            line.startswith("coderouter_client_requests_total{") and 'ingress="responses"' in line
            for line in text.splitlines()
        )
        if not counted:
            time.sleep(0.1)
    assert counted
