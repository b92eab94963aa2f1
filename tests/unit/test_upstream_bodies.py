"""What goes upstream: model replaced, extra_body underneath, system suffix, no CodeRouter fields."""

from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.adapters import adapter_for
from coderouter_supervisor.worker.config import CostConfig, ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.protocol import ChatCompletionRequest, MessagesRequest
from coderouter_supervisor.worker.providers import ProviderCall, read_api_key
from coderouter_supervisor.worker.providers.endpoints import (
    anthropic_count_tokens_url,
    anthropic_headers,
    anthropic_messages_url,
    openai_chat_url,
    openai_headers,
)

anthropic_to_anthropic = adapter_for("anthropic", "anthropic").upstream_body
anthropic_to_openai = adapter_for("anthropic", "openai_compat").upstream_body
openai_to_anthropic = adapter_for("openai", "anthropic").upstream_body
openai_to_openai = adapter_for("openai", "openai_compat").upstream_body


def call(
    kind: str = "openai_compat", suffix: str | None = None, extra: dict[str, Any] | None = None
) -> ProviderCall:
    provider = ProviderConfig.model_validate(
        {
            "name": "p",
            "kind": kind,
            "base_url": "http://127.0.0.1:1/v1",
            "model": "upstream-model",
            "append_system_prompt": suffix,
            "extra_body": extra or {},
        }
    )
    return ProviderCall(provider, ProfileConfig(name="x", providers=("p",)), api_key="sk-provider")


ANTHROPIC = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 100,
    "profile": "coding",
    "system": "be brief",
    "messages": [{"role": "user", "content": "hi"}],
    "some_new_field": {"keep": True},
}
OPENAI = {
    "model": "gpt-x",
    "profile": "coding",
    "seed": 7,
    "response_format": {"type": "json_object"},
    "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}],
}


def test_anthropic_passthrough_keeps_unknown_fields_and_drops_profile() -> None:
    body = anthropic_to_anthropic(
        MessagesRequest.model_validate(ANTHROPIC), call("anthropic", extra={"top_k": 5})
    )
    assert body["model"] == "upstream-model"
    assert "profile" not in body
    assert body["some_new_field"] == {"keep": True}
    assert body["top_k"] == 5


def test_request_fields_win_over_extra_body() -> None:
    body = openai_to_openai(
        ChatCompletionRequest.model_validate(OPENAI), call(extra={"seed": 1, "options": {"num_ctx": 8}})
    )
    assert body["seed"] == 7
    assert body["options"] == {"num_ctx": 8}
    assert body["response_format"] == {"type": "json_object"}
    assert "profile" not in body


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        pytest.param("be brief", "be brief\nALWAYS TEST", id="string"),
        pytest.param(None, "ALWAYS TEST", id="absent"),
        pytest.param(
            [{"type": "text", "text": "be brief"}],
            [{"type": "text", "text": "be brief"}, {"type": "text", "text": "ALWAYS TEST"}],
            id="blocks",
        ),
    ],
)
def test_append_system_prompt_reaches_anthropic_upstreams(system: Any, expected: Any) -> None:
    request = MessagesRequest.model_validate({**ANTHROPIC, "system": system})
    assert anthropic_to_anthropic(request, call("anthropic", suffix="ALWAYS TEST"))["system"] == expected


def test_append_system_prompt_on_openai_paths() -> None:
    translated = anthropic_to_openai(MessagesRequest.model_validate(ANTHROPIC), call(suffix="ALWAYS TEST"))
    assert translated["messages"][0] == {"role": "system", "content": "be brief\nALWAYS TEST"}
    without_system = {**OPENAI, "messages": [{"role": "user", "content": "hi"}]}
    body = openai_to_openai(ChatCompletionRequest.model_validate(without_system), call(suffix="ALWAYS TEST"))
    assert body["messages"][0] == {"role": "system", "content": "ALWAYS TEST"}


def test_openai_to_anthropic_uses_provider_model() -> None:
    body = openai_to_anthropic(ChatCompletionRequest.model_validate(OPENAI), call("anthropic"))
    assert body["model"] == "upstream-model"
    assert body["system"] == "be brief"
    assert "profile" not in body


def test_urls_and_headers() -> None:
    assert openai_chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert anthropic_messages_url("https://api.anthropic.com/v1") == "https://api.anthropic.com/v1/messages"
    assert anthropic_messages_url("https://api.anthropic.com") == "https://api.anthropic.com/v1/messages"
    assert anthropic_count_tokens_url("http://h/v1") == "http://h/v1/messages/count_tokens"
    assert openai_headers(call())["authorization"] == "Bearer sk-provider"
    headers = anthropic_headers(call("anthropic", extra={"anthropic_version": "2024-01-01"}))
    assert headers["x-api-key"] == "sk-provider"
    assert headers["anthropic-version"] == "2024-01-01"
    assert "authorization" not in headers


def test_api_key_is_read_from_the_environment_each_time() -> None:
    provider = ProviderConfig.model_validate(
        {"name": "p", "base_url": "http://h/v1", "model": "m", "api_key_env": "P_KEY"}
    )
    assert read_api_key(provider, {}) is None
    assert read_api_key(provider, {"P_KEY": "  "}) is None
    assert read_api_key(provider, {"P_KEY": " k1 "}) == "k1"


def priced_call(extra: dict[str, Any] | None = None) -> ProviderCall:
    plain = call(extra=extra)
    cost = CostConfig(input_tokens_per_million=3.0, output_tokens_per_million=15.0)
    return ProviderCall(
        plain.provider.model_copy(update={"cost": cost}), plain.profile, api_key="sk-provider"
    )


@pytest.mark.parametrize(
    ("limits", "priced", "expected"),
    [
        pytest.param({}, True, {"max_tokens": 4096}, id="priced-without-limit-gets-the-held-one"),
        pytest.param({}, False, {}, id="free-keeps-its-own-default"),
        pytest.param({"max_tokens": 50}, True, {"max_tokens": 50}, id="client-limit-kept"),
        pytest.param({"max_completion_tokens": 70}, True, {"max_completion_tokens": 70}, id="new-field-kept"),
    ],
)
def test_a_priced_openai_upstream_is_always_sent_an_output_limit(
    limits: dict[str, int], priced: bool, expected: dict[str, int]
) -> None:
    request = ChatCompletionRequest.model_validate({**OPENAI, **limits})
    body = openai_to_openai(request, priced_call(extra={"max_tokens": 99_999}) if priced else call())
    assert {k: body[k] for k in ("max_tokens", "max_completion_tokens") if k in body} == expected


def test_translation_to_anthropic_sends_the_held_default() -> None:
    body = openai_to_anthropic(ChatCompletionRequest.model_validate(OPENAI), call("anthropic"))
    assert body["max_tokens"] == 4096


def test_extra_body_cannot_widen_what_a_priced_provider_is_held_for() -> None:
    request = ChatCompletionRequest.model_validate({**OPENAI, "max_tokens": 50})
    body = openai_to_openai(request, priced_call(extra={"n": 8, "max_completion_tokens": 9_000}))
    assert (body["max_tokens"], "n" in body, "max_completion_tokens" in body) == (50, False, False)
    assert openai_to_openai(request, call(extra={"n": 8}))["n"] == 8  # a free provider keeps it
