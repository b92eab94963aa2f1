"""The Responses upstream bodies written as dicts are exactly what the model-based path sent.

For chat and Anthropic clients on an ``openai_responses`` upstream, the adapter's ``upstream_body``
is compared with the oracle (``support.request_oracles``): the Responses request model built from
the chat request (an Anthropic one through the chat form), finished as a model and dumped with
``to_wire``. Over every request of ``support.chat_requests`` and ``support.anthropic_requests``,
on a free provider, a priced one, and a priced one with a system suffix and ``extra_body``;
compared as JSON text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from coderouter_supervisor.worker.adapters import adapter_for
from coderouter_supervisor.worker.config import CostConfig, ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.protocol import ChatCompletionRequest, MessagesRequest
from coderouter_supervisor.worker.providers import ProviderCall

from support.anthropic_requests import anthropic_request_cases
from support.chat_requests import BASE_MESSAGES, chat_request_cases
from support.request_oracles import anthropic_on_responses_body_model, chat_on_responses_body_model


def free_call() -> ProviderCall:
    provider = ProviderConfig.model_validate(
        {"name": "p", "kind": "openai_responses", "base_url": "http://127.0.0.1:1/v1", "model": "gpt-up"}
    )
    return ProviderCall(provider, ProfileConfig(name="x", providers=("p",)), api_key="sk-provider")


def priced_call(**settings: Any) -> ProviderCall:
    provider = ProviderConfig.model_validate(
        {"name": "p", "kind": "openai_responses", "base_url": "http://127.0.0.1:1/v1", "model": "gpt-up"}
        | settings
    )
    cost = CostConfig(input_tokens_per_million=3.0, output_tokens_per_million=15.0)
    return ProviderCall(
        provider.model_copy(update={"cost": cost}),
        ProfileConfig(name="x", providers=("p",)),
        api_key="sk-provider",
    )


def priced_call_with_suffix_and_extra_body() -> ProviderCall:
    return priced_call(
        append_system_prompt="Answer in English.",
        extra_body={"service_tier": "flex", "max_output_tokens": 99_999, "store": True},
    )


CALLS = [
    pytest.param(free_call, id="free"),
    pytest.param(priced_call, id="priced"),
    pytest.param(priced_call_with_suffix_and_extra_body, id="priced-suffix-extra"),
]


@pytest.mark.parametrize("make_call", CALLS)
@pytest.mark.parametrize("body", chat_request_cases())
def test_a_chat_request_body_is_the_model_body(
    body: dict[str, Any], make_call: Callable[[], ProviderCall]
) -> None:
    request = ChatCompletionRequest.model_validate(
        {"model": "gpt-alias", "messages": BASE_MESSAGES} | copy.deepcopy(body)
    )
    call = make_call()
    expected = chat_on_responses_body_model(request, call)
    written = adapter_for("openai", "openai_responses").upstream_body(request, call)
    assert json.dumps(written) == json.dumps(expected)


@pytest.mark.parametrize("make_call", CALLS)
@pytest.mark.parametrize("body", anthropic_request_cases())
def test_an_anthropic_request_body_is_the_model_body(
    body: dict[str, Any], make_call: Callable[[], ProviderCall]
) -> None:
    request = MessagesRequest.model_validate(copy.deepcopy(body))
    call = make_call()
    expected = anthropic_on_responses_body_model(request, call)
    written = adapter_for("anthropic", "openai_responses").upstream_body(request, call)
    assert json.dumps(written) == json.dumps(expected)
