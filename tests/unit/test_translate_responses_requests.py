from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    FunctionCallItem,
    FunctionCallOutputItem,
    InputMessage,
    MessagesRequest,
    ResponsesRequest,
    SystemMessage,
    ToolMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from coderouter_supervisor.worker.translate import (
    DEFAULT_MAX_TOKENS,
    DeclaredName,
    OpenAITarget,
    anthropic_request_to_responses,
    flatten_tools,
    openai_request_to_responses,
    responses_output_limit,
    responses_request_to_anthropic,
    responses_request_to_openai,
    stateful_responses_fields,
)

CODEX_TURN: dict[str, Any] = {
    "model": "any-name",
    "instructions": "You are Codex.",
    "input": [
        {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "sandbox: rw"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "I should run ls"}],
            "encrypted_content": "gAAAA-opaque",
        },
        {
            "type": "message",
            "role": "assistant",
            "id": "msg_1",
            "content": [{"type": "output_text", "text": "Running ls.", "annotations": []}],
        },
        {"type": "function_call", "call_id": "call_1", "name": "exec_command", "arguments": '{"cmd":"ls"}'},
        {
            "type": "function_call",
            "call_id": "call_2",
            "name": "close_agent",
            "namespace": "multi_agent_v1",
            "arguments": "{}",
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "Exit code: 0\na.txt"},
        {"type": "function_call_output", "call_id": "call_2", "output": "closed"},
        {"type": "item_reference", "id": "msg_0"},
    ],
    "tools": [
        {"type": "function", "name": "exec_command", "parameters": {"type": "object", "required": ["cmd"]}},
        {
            "type": "namespace",
            "name": "multi_agent_v1",
            "description": "Agents.",
            "tools": [{"type": "function", "name": "close_agent", "description": "Close one."}],
        },
        {"type": "web_search", "external_web_access": False},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning": {"effort": "high", "summary": "auto"},
    "max_output_tokens": 50000,
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "session-1",
    "client_metadata": {"turn_id": "t1"},
}


def codex(**changes: Any) -> ResponsesRequest:
    return ResponsesRequest.model_validate(copy.deepcopy(CODEX_TURN) | changes)


def test_codex_turn_to_chat() -> None:
    target = OpenAITarget(model="qwen", max_tokens_cap=8192, reasoning_control="reasoning_effort")
    translation = responses_request_to_openai(codex(), target)
    request = ChatCompletionRequest.model_validate(translation.body)
    messages = request.messages
    assert [type(message) for message in messages] == [
        SystemMessage,
        UserMessage,
        AssistantMessage,
        ToolMessage,
        ToolMessage,
    ]
    assert messages[0].content == "You are Codex.\n\nsandbox: rw"
    assistant = messages[2]
    assert isinstance(assistant, AssistantMessage)
    assert assistant.content == "Running ls."
    assert assistant.tool_calls is not None
    assert [(c.id, c.function.name) for c in assistant.tool_calls] == [
        ("call_1", "exec_command"),
        ("call_2", "multi_agent_v1__close_agent"),
    ]
    assert assistant.reasoning_content is None
    assert [m.tool_call_id for m in messages[3:] if isinstance(m, ToolMessage)] == ["call_1", "call_2"]
    assert request.tools is not None
    assert [tool.function.name for tool in request.tools] == ["exec_command", "multi_agent_v1__close_agent"]
    assert request.tools[1].function.description == "Agents. Close one."
    assert (request.tool_choice, request.parallel_tool_calls) == ("auto", True)
    assert (request.max_tokens, request.reasoning_effort, request.model) == (8192, "high", "qwen")
    assert request.stream_options is not None
    assert translation.dropped_tools == ("web_search",)
    assert translation.tool_names.client_name("multi_agent_v1__close_agent") == DeclaredName(
        "close_agent", "multi_agent_v1"
    )
    wire = request.to_wire()
    assert "gAAAA-opaque" not in json.dumps(wire)
    for responses_only in (
        "prompt_cache_key",
        "client_metadata",
        "include",
        "store",
        "input",
        "instructions",
    ):
        assert responses_only not in wire


def test_reasoning_summaries_replay_only_to_targets_that_want_them() -> None:
    target = OpenAITarget(model="deepseek", replay_reasoning=True)
    chat = ChatCompletionRequest.model_validate(responses_request_to_openai(codex(), target).body)
    assistant = chat.messages[2]
    assert isinstance(assistant, AssistantMessage)
    assert assistant.reasoning_content == "I should run ls"


@pytest.mark.parametrize(
    ("target", "field", "expected"),
    [
        pytest.param(OpenAITarget(model="m"), "max_tokens", 50000, id="max_tokens"),
        pytest.param(
            OpenAITarget(model="m", max_tokens_field="max_completion_tokens"),
            "max_completion_tokens",
            50000,
            id="max_completion_tokens",
        ),
        pytest.param(
            OpenAITarget(model="m", reasoning_control="openrouter"),
            "reasoning",
            {"effort": "high"},
            id="openrouter",
        ),
        pytest.param(
            OpenAITarget(model="m", reasoning_control="chat_template_kwargs"),
            "chat_template_kwargs",
            {"enable_thinking": True},
            id="chat-template",
        ),
    ],
)
def test_targets_get_their_own_fields(target: OpenAITarget, field: str, expected: Any) -> None:
    assert responses_request_to_openai(codex(), target).body[field] == expected


def test_named_tool_choice_and_serial_calls() -> None:
    request = codex(tool_choice={"type": "function", "name": "exec_command"}, parallel_tool_calls=False)
    chat = ChatCompletionRequest.model_validate(
        responses_request_to_openai(request, OpenAITarget(model="m")).body
    )
    assert chat.to_wire()["tool_choice"] == {"type": "function", "function": {"name": "exec_command"}}
    assert chat.parallel_tool_calls is False


def test_images_and_json_schema() -> None:
    request = ResponsesRequest.model_validate(
        {
            "model": "m",
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "what is it?"},
                        {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
                    ],
                }
            ],
            "text": {"format": {"type": "json_schema", "name": "a", "schema": {"type": "object"}}},
        }
    )
    chat = responses_request_to_openai(request, OpenAITarget(model="m")).body
    assert chat["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,AAAA"},
    }
    assert chat["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "a", "schema": {"type": "object"}},
    }
    anthropic = MessagesRequest.model_validate(responses_request_to_anthropic(request, model="claude"))
    assert anthropic.output_config == {"format": {"type": "json_schema", "schema": {"type": "object"}}}
    assert anthropic.to_wire()["messages"][0]["content"][1]["source"]["type"] == "base64"


def test_codex_turn_to_anthropic() -> None:
    body = responses_request_to_anthropic(codex(parallel_tool_calls=False), model="claude-x")
    request = MessagesRequest.model_validate(body)
    assert request.system == "You are Codex.\n\nsandbox: rw"
    assert [turn.role for turn in request.messages] == ["user", "assistant", "user"]
    assistant = request.messages[1].content
    assert isinstance(assistant, list)
    calls = [block for block in assistant if isinstance(block, ToolUseBlock)]
    assert [(c.id, c.name, c.input) for c in calls] == [
        ("call_1", "exec_command", {"cmd": "ls"}),
        ("call_2", "multi_agent_v1__close_agent", {}),
    ]
    results = request.messages[2].content
    assert isinstance(results, list)
    assert [block.tool_use_id for block in results if isinstance(block, ToolResultBlock)] == [
        "call_1",
        "call_2",
    ]
    assert request.max_tokens == 50000
    assert request.thinking is not None
    assert request.to_wire()["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert [tool["name"] for tool in body["tools"]] == ["exec_command", "multi_agent_v1__close_agent"]
    assert "gAAAA-opaque" not in json.dumps(body)


def test_output_limit_defaults_as_for_chat() -> None:
    assert responses_output_limit(codex()) == 50000
    assert responses_output_limit(codex(max_output_tokens=None)) == DEFAULT_MAX_TOKENS


def test_stateful_fields_are_named() -> None:
    assert stateful_responses_fields(codex()) == ()
    assert stateful_responses_fields(codex(store=True, previous_response_id="resp_1")) == (
        "previous_response_id",
        "store",
    )


def test_flattened_names_that_collide_get_a_suffix_and_map_back() -> None:
    request = ResponsesRequest.model_validate(
        {
            "model": "m",
            "tools": [
                {"type": "function", "name": "ns__f"},
                {
                    "type": "namespace",
                    "name": "ns",
                    "tools": [{"type": "function", "name": "f"}, {"type": "custom"}],
                },
            ],
        }
    )
    flat = flatten_tools(request.tools)
    assert [tool.name for tool in flat.functions] == ["ns__f", "ns__f_2"]
    assert flat.names.client_name("ns__f_2") == DeclaredName("f", "ns")
    assert flat.names.client_name("ns__f") == DeclaredName("ns__f")
    assert flat.names.flat("f", "ns") == "ns__f_2"
    assert flat.dropped == ("custom",)


CHAT_REQUEST: dict[str, Any] = {
    "model": "gpt",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "u"}}],
        },
        {
            "role": "assistant",
            "content": "calling",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}
            ],
            "reasoning_content": "private",
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "parallel_tool_calls": False,
    "max_completion_tokens": 300,
    "reasoning_effort": "low",
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
    "stream": True,
    "stop": ["END"],
}


def test_chat_request_to_responses() -> None:
    wire = openai_request_to_responses(ChatCompletionRequest.model_validate(CHAT_REQUEST), model="gpt-5")
    assert wire["input"] == [
        {"type": "message", "role": "system", "content": "Be brief."},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}, {"type": "input_image", "image_url": "u"}],
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "calling", "annotations": []}],
        },
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": '{"a":1}'},
        {"type": "function_call_output", "call_id": "c1", "output": "42"},
    ]
    assert wire["tools"] == [{"type": "function", "name": "f", "parameters": {"type": "object"}}]
    assert wire["tool_choice"] == {"type": "function", "name": "f"}
    assert (wire["parallel_tool_calls"], wire["max_output_tokens"], wire["store"]) == (False, 300, False)
    assert wire["reasoning"] == {"effort": "low"}
    assert wire["text"] == {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}}}
    assert "stop" not in wire
    assert "private" not in json.dumps(wire)


def test_anthropic_request_to_responses() -> None:
    request = MessagesRequest.model_validate(
        {
            "model": "claude",
            "max_tokens": 1000,
            "system": "Be brief.",
            "thinking": {"type": "enabled", "budget_tokens": 2000},
            "tools": [{"name": "Bash", "input_schema": {"type": "object"}}],
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "t", "signature": "anthropic-signed"},
                        {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}},
                    ],
                },
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt"}],
                },
            ],
        }
    )
    translated = ResponsesRequest.model_validate(anthropic_request_to_responses(request, model="gpt-5"))
    assert translated.input is not None
    kinds = [type(item) for item in translated.input]
    assert kinds == [InputMessage, InputMessage, FunctionCallItem, FunctionCallOutputItem]
    call = translated.input[2]
    assert isinstance(call, FunctionCallItem)
    assert (call.call_id, call.name, json.loads(call.arguments)) == ("toolu_1", "Bash", {"command": "ls"})
    assert translated.max_output_tokens == 1000
    assert translated.reasoning is not None
    assert translated.reasoning.effort == "low"
    assert "anthropic-signed" not in json.dumps(translated.to_wire())


def test_a_round_trip_keeps_every_tool_call_and_result() -> None:
    original = codex()
    chat = ChatCompletionRequest.model_validate(
        responses_request_to_openai(original, OpenAITarget(model="m")).body
    )
    back = ResponsesRequest.model_validate(openai_request_to_responses(chat, model="m"))
    assert back.input is not None
    assert isinstance(original.input, list)

    def calls(items: list[Any]) -> list[tuple[str, ...]]:
        return [
            (item.type, item.call_id, getattr(item, "arguments", None) or item.output)
            for item in items
            if isinstance(item, FunctionCallItem | FunctionCallOutputItem)
        ]

    assert calls(back.input) == calls(original.input)
