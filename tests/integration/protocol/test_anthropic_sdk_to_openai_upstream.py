"""The anthropic SDK through the gateway to an OpenAI-compatible upstream (Ollama, vLLM, LM Studio...)."""

from __future__ import annotations

import json

import pytest

from support.fake_upstream import Reply, ToolCall, Usage
from support.stack import CLIENT_KEY, Stack

# Any model name: the gateway's profile decides which upstream model answers.
MODEL = "claude-sonnet-4-6"

READ_FILE = {
    "name": "read_file",
    "description": "Read a file",
    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
}


def test_text_round_trip_non_stream(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="Hi there", usage=Usage(input_tokens=20, output_tokens=3)))
    message = fresh.anthropic_client().messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hello"}]
    )
    assert message.content[0].type == "text"
    assert message.content[0].text == "Hi there"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 20
    assert message.usage.output_tokens == 3
    sent = fresh.local.last
    assert sent.path == "/v1/chat/completions"
    assert sent.body["model"] == "qwen-fake"
    assert sent.body["messages"][-1] == {"role": "user", "content": "hello"}


def test_stream_final_message_text(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="streamed words arrive in pieces"))
    with fresh.anthropic_client().messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        deltas = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(deltas) > 1
    assert "".join(deltas) == "streamed words arrive in pieces"
    assert final.content[0].text == "streamed words arrive in pieces"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"


def test_streamed_tool_call_input_json_delta_parses_to_input(fresh: Stack) -> None:
    arguments = {"path": "src/main.py", "lines": [1, 2, 3], "note": 'quote " and unicode é'}
    fresh.local.queue(
        Reply(text="Let me look.", tool_calls=(ToolCall("read_file", arguments),), chunk_chars=3)
    )
    events = []
    with fresh.anthropic_client().messages.stream(
        model=MODEL,
        max_tokens=256,
        tools=[READ_FILE],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "read main"}],
    ) as stream:
        for event in stream:
            events.append(event)
        final = stream.get_final_message()
    partial = "".join(
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    )
    assert json.loads(partial) == arguments
    tool_blocks = [b for b in final.content if b.type == "tool_use"]
    assert len(tool_blocks) == 1
    assert tool_blocks[0].name == "read_file"
    assert tool_blocks[0].input == arguments
    assert final.stop_reason == "tool_use"
    assert fresh.local.last.body["tools"][0]["function"]["name"] == "read_file"


def test_thinking_from_reasoning_content_stream_and_non_stream(fresh: Stack) -> None:
    client = fresh.anthropic_client()
    fresh.local.queue(
        Reply(text="Answer: 4", reasoning="2 plus 2 is 4"),
        Reply(text="Answer: 4", reasoning="2 plus 2 is 4", reasoning_field="reasoning"),
    )
    with client.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "2+2?"}]
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking == "2 plus 2 is 4"  # type: ignore[union-attr]
    assert final.content[1].text == "Answer: 4"  # type: ignore[union-attr]

    message = client.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "2+2?"}]
    )
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "2 plus 2 is 4"  # type: ignore[union-attr]


def test_tool_result_history_becomes_ordered_tool_messages(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="done"))
    fresh.anthropic_client().messages.create(
        model=MODEL,
        max_tokens=64,
        system=[{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Use tools."}],
        tools=[READ_FILE],  # type: ignore[list-item]
        tool_choice={"type": "any"},
        messages=[
            {"role": "user", "content": "read two files"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Reading both."},
                    {"type": "tool_use", "id": "toolu_a", "name": "read_file", "input": {"path": "a"}},
                    {"type": "tool_use", "id": "toolu_b", "name": "read_file", "input": {"path": "b"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_a", "content": "contents of a"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_b",
                        "content": "no such file",
                        "is_error": True,
                    },
                ],
            },
        ],
    )
    body = fresh.local.last.body
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "tool"]
    assert "You are terse." in body["messages"][0]["content"]
    assert "Use tools." in body["messages"][0]["content"]
    assistant = body["messages"][2]
    assert [c["id"] for c in assistant["tool_calls"]] == ["toolu_a", "toolu_b"]
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"path": "a"}
    first, second = body["messages"][3], body["messages"][4]
    assert first["tool_call_id"] == "toolu_a"
    assert "contents of a" in json.dumps(first["content"])
    assert second["tool_call_id"] == "toolu_b"
    assert "no such file" in json.dumps(second["content"])
    assert "error" in json.dumps(second["content"]).lower()  # is_error survives the translation
    assert body["tool_choice"] == "required"


@pytest.mark.parametrize(
    ("anthropic_choice", "openai_choice"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "any"}, "required"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "read_file"}, {"type": "function", "function": {"name": "read_file"}}),
    ],
)
def test_tool_choice_mapping(fresh: Stack, anthropic_choice: dict[str, str], openai_choice: object) -> None:
    fresh.anthropic_client().messages.create(
        model=MODEL,
        max_tokens=64,
        tools=[READ_FILE],  # type: ignore[list-item]
        tool_choice=anthropic_choice,  # type: ignore[arg-type]
        messages=[{"role": "user", "content": "x"}],
    )
    assert fresh.local.last.body["tool_choice"] == openai_choice


def test_mid_conversation_system_is_folded_for_local_backend(fresh: Stack) -> None:
    # Claude Code sends role "system" inside messages; local chat templates reject a system turn there.
    response = fresh.anthropic_client().messages.with_raw_response.create(
        model=MODEL,
        max_tokens=64,
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "system", "content": "reminder: be brief"},  # type: ignore[typeddict-item]
            {"role": "user", "content": "second"},
        ],
    )
    assert response.http_response.status_code == 200
    messages = fresh.local.last.body["messages"]
    assert [m["role"] for m in messages].count("system") <= 1
    if messages[0]["role"] == "system":
        assert all(m["role"] != "system" for m in messages[1:])
    assert "reminder: be brief" in json.dumps(messages)


def test_sampling_fields_images_stop_and_user(fresh: Stack) -> None:
    pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    fresh.anthropic_client().messages.create(
        model=MODEL,
        max_tokens=100,
        # This SDK release dropped the sampling keywords; Claude Code and older SDKs still send them.
        extra_body={"temperature": 0.2, "top_p": 0.9, "top_k": 40},
        stop_sequences=["END"],
        metadata={"user_id": "alice"},
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": pixel}},
                    {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
                    {"type": "text", "text": "what is this"},
                ],
            }
        ],
    )
    body = fresh.local.last.body
    assert body["temperature"] == 0.2
    assert body["top_p"] == 0.9
    assert body["stop"] == ["END"]
    assert body["user"] == "alice"
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 100
    parts = body["messages"][-1]["content"]
    urls = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert urls == [f"data:image/png;base64,{pixel}", "https://example.com/cat.png"]


def test_more_stop_sequences_than_a_chat_request_models_go_upstream_as_sent(fresh: Stack) -> None:
    # Anthropic sets no count; the chat API's four is for OpenAI itself, and local servers take more.
    stops = ["A1", "B2", "C3", "D4", "E5"]
    response = fresh.anthropic_client().messages.with_raw_response.create(
        model=MODEL, max_tokens=64, stop_sequences=stops, messages=[{"role": "user", "content": "x"}]
    )
    assert response.http_response.status_code == 200
    assert fresh.local.last.body["stop"] == stops


def test_usage_maps_cached_prompt_tokens(fresh: Stack) -> None:
    fresh.local.queue(
        Reply(usage=Usage(input_tokens=30, output_tokens=4, cache_read_tokens=70)),
        Reply(usage=Usage(input_tokens=30, output_tokens=4, cache_read_tokens=70)),
    )
    client = fresh.anthropic_client()
    message = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x"}])
    assert message.usage.cache_read_input_tokens == 70
    assert message.usage.input_tokens == 30
    with client.messages.stream(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        final = stream.get_final_message()
    assert final.usage.cache_read_input_tokens == 70
    assert final.usage.input_tokens == 30
    assert final.usage.output_tokens == 4


def test_max_tokens_stop_reason(fresh: Stack) -> None:
    fresh.local.queue(Reply(text="cut", stop="length"))
    message = fresh.anthropic_client().messages.create(
        model=MODEL, max_tokens=3, messages=[{"role": "user", "content": "x"}]
    )
    assert message.stop_reason == "max_tokens"


def test_client_key_never_goes_upstream(fresh: Stack) -> None:
    fresh.anthropic_client().messages.create(
        model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "x"}]
    )
    recorded = json.dumps(fresh.local.last.headers) + json.dumps(fresh.local.last.body)
    assert CLIENT_KEY not in recorded


BASH = {
    "name": "Bash",
    "description": "Run a shell command",
    "input_schema": {
        "type": "object",
        "properties": {"command": {"type": "string"}},
        "required": ["command"],
    },
}


def test_streamed_tool_call_written_as_text_is_repaired(fresh: Stack) -> None:
    call = '<tool_call>{"name": "Bash", "arguments": {"command": "ls -la"}}</tool_call>'
    written = f"I will list the files.\n{call}"
    fresh.local.queue(Reply(text=written, chunk_chars=4))
    with fresh.anthropic_client().messages.stream(
        model=MODEL,
        max_tokens=256,
        tools=[BASH],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "list files"}],
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["text", "tool_use"]
    assert final.content[0].text.strip() == "I will list the files."  # type: ignore[union-attr]
    assert final.content[1].name == "Bash"  # type: ignore[union-attr]
    assert final.content[1].input == {"command": "ls -la"}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"


def test_text_that_only_looks_like_a_call_streams_unchanged(fresh: Stack) -> None:
    # Undeclared tool name, and a python block with JSON inside: both stay text, in order.
    written = 'Example:\n```python\ncfg = {"name": "Bash"}\n```\n{"name": "Nope", "arguments": {}}\ndone'
    fresh.local.queue(Reply(text=written, chunk_chars=3))
    with fresh.anthropic_client().messages.stream(
        model=MODEL,
        max_tokens=256,
        tools=[BASH],  # type: ignore[list-item]
        messages=[{"role": "user", "content": "x"}],
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["text"]
    assert final.content[0].text == written  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
