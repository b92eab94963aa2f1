"""The direct chat -> Anthropic request translator writes exactly the body the model-based one did.

The oracle (``support.chat_anthropic_oracle``) built the Anthropic request model, stripped unsigned
thinking and dumped it with ``to_wire``. Both run over the chat requests of ``support.chat_requests``;
their bodies are compared as JSON text, so key order counts too.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from coderouter_supervisor.worker.protocol import ChatCompletionRequest
from coderouter_supervisor.worker.translate import openai_request_to_anthropic, strip_unsigned_thinking

from support.chat_anthropic_oracle import openai_request_to_anthropic_model
from support.chat_requests import BASE_MESSAGES, TOOLS, chat_request_cases

CASES = chat_request_cases()


@pytest.mark.parametrize("body", CASES)
def test_the_direct_body_is_the_model_body(body: dict[str, Any]) -> None:
    request = ChatCompletionRequest.model_validate(
        {"model": "gpt-alias", "messages": BASE_MESSAGES} | copy.deepcopy(body)
    )
    expected = strip_unsigned_thinking(openai_request_to_anthropic_model(request, model="claude-x")).to_wire()
    assert json.dumps(openai_request_to_anthropic(request, model="claude-x")) == json.dumps(expected)


def test_the_body_is_a_fresh_dict_each_time() -> None:
    request = ChatCompletionRequest.model_validate(
        {"model": "m", "messages": BASE_MESSAGES, "tools": TOOLS, "stop": ["END"]}
    )
    first = openai_request_to_anthropic(request, model="claude-x")
    first["messages"][0]["content"].append({"type": "text", "text": "changed"})
    first["stop_sequences"].append("more")
    again = openai_request_to_anthropic(request, model="claude-x")
    assert again["messages"][0]["content"] == [{"type": "text", "text": "hi"}]
    assert again["stop_sequences"] == ["END"]
