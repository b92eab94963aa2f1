"""The direct Responses -> Anthropic request translator writes exactly the body the chain did.

The oracle is the chain the direct translator replaced: the Responses request made a chat request
by ``responses_request_to_openai_model`` (every field kept, reasoning asked for by effort, system messages
folded), that made an Anthropic request by ``openai_request_to_anthropic_model``, signed thinking put back
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
    responses_request_to_anthropic,
    strip_unsigned_thinking,
    unpack_thinking,
)

from support.chat_anthropic_oracle import openai_request_to_anthropic_model
from support.responses_chat_oracle import responses_request_to_openai_model
from support.responses_requests import (
    CASES,
    FIXTURE,
    SIGNED,
    THINKING,
    call,
    output,
    reasoning,
    user,
)

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
    chat = responses_request_to_openai_model(request, _INTERMEDIATE)
    translated = openai_request_to_anthropic_model(chat, model=model)
    if (
        isinstance(request.input, list)
        and translated.thinking
        and not isinstance(translated.thinking, ThinkingDisabled)
    ):
        _restore_thinking(translated.messages, _thinking_by_call(request.input))
    return strip_unsigned_thinking(translated).to_wire()


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
