"""The chat upstream bodies for Responses and Anthropic clients, written as dicts, are exactly what
the model-based paths sent.

The adapters' ``upstream_body`` is compared with the oracle (``support.request_oracles``): the chat
request model built from the client's request, finished as a model and dumped with ``to_wire``.
Over every request of ``support.responses_requests`` and ``support.anthropic_requests``, on
providers whose settings shape the body differently (free or priced, system suffix and
``extra_body``, each reasoning control, reasoning replayed); compared as JSON text, so key order
counts too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from coderouter_supervisor.worker.adapters import adapter_for
from coderouter_supervisor.worker.config import CostConfig, ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.protocol import MessagesRequest, ResponsesRequest
from coderouter_supervisor.worker.providers import ProviderCall

from support.anthropic_requests import anthropic_request_cases
from support.request_oracles import anthropic_on_chat_body_model, responses_on_chat_body_model
from support.responses_requests import CASES as RESPONSES_CASES


def chat_call(*, priced: bool = False, **settings: Any) -> ProviderCall:
    provider = ProviderConfig.model_validate(
        {"name": "p", "kind": "openai_compat", "base_url": "http://127.0.0.1:1/v1", "model": "qwen"}
        | settings
    )
    if priced:
        cost = CostConfig(input_tokens_per_million=3.0, output_tokens_per_million=15.0)
        provider = provider.model_copy(update={"cost": cost})
    return ProviderCall(provider, ProfileConfig(name="x", providers=("p",)), api_key="sk-provider")


CALLS = [
    pytest.param(chat_call, id="free"),
    pytest.param(lambda: chat_call(priced=True), id="priced"),
    pytest.param(
        lambda: chat_call(
            priced=True,
            append_system_prompt="Answer in English.",
            extra_body={"max_tokens": 99_999, "seed": 1, "stream_options": {"x": 1}},
        ),
        id="priced-suffix-extra",
    ),
    pytest.param(
        lambda: chat_call(capabilities={"reasoning_control": "openai", "reasoning_passthrough": True}),
        id="openai-effort-replayed",
    ),
    pytest.param(
        lambda: chat_call(capabilities={"reasoning_control": "provider_specific"}), id="chat-template-kwargs"
    ),
    pytest.param(
        lambda: chat_call(
            base_url="https://openrouter.ai/api/v1", capabilities={"reasoning_control": "provider_specific"}
        ),
        id="openrouter",
    ),
]


@pytest.mark.parametrize("make_call", CALLS)
@pytest.mark.parametrize("body", RESPONSES_CASES)
def test_the_chat_body_is_the_model_body(body: dict[str, Any], make_call: Callable[[], ProviderCall]) -> None:
    request = ResponsesRequest.model_validate(copy.deepcopy(body))
    call = make_call()
    expected = responses_on_chat_body_model(request, call)
    written = adapter_for("responses", "openai_compat").upstream_body(request, call)
    assert json.dumps(written) == json.dumps(expected)


@pytest.mark.parametrize("make_call", CALLS)
@pytest.mark.parametrize("body", anthropic_request_cases())
def test_an_anthropic_chat_body_is_the_model_body(
    body: dict[str, Any], make_call: Callable[[], ProviderCall]
) -> None:
    request = MessagesRequest.model_validate(copy.deepcopy(body))
    call = make_call()
    expected = anthropic_on_chat_body_model(request, call)
    written = adapter_for("anthropic", "openai_compat").upstream_body(request, call)
    assert json.dumps(written) == json.dumps(expected)
