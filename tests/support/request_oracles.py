"""The upstream bodies the adapters built from request models, before they wrote dicts: test oracles.

Each finishes a model-based translation (``support.*_oracle``) as its adapter did and dumps it with
``to_wire``; the oracle tests check that the adapter's ``upstream_body`` writes the same body.
"""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.adapters.openai_compat_upstream import (
    openai_messages_with_suffix,
    openai_target,
)
from coderouter_supervisor.worker.adapters.upstream_kind import PROFILE_FIELD, with_extra_body
from coderouter_supervisor.worker.money import is_priced
from coderouter_supervisor.worker.protocol import (
    ChatCompletionRequest,
    MessagesRequest,
    ResponsesRequest,
)
from coderouter_supervisor.worker.providers import ProviderCall
from coderouter_supervisor.worker.translate import (
    OpenAITarget,
    responses_output_limit,
)
from coderouter_supervisor.worker.translate.openai_to_anthropic import (
    openai_output_limit,
)

from support.anthropic_chat_oracle import anthropic_request_to_openai_model
from support.chat_responses_oracle import openai_request_to_responses_model
from support.responses_chat_oracle import responses_request_to_openai_model


def responses_upstream_body_model(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Responses upstream body from a request model, as ``responses_upstream_body`` built it."""
    body = request.to_wire()
    body.pop(PROFILE_FIELD, None)
    body["model"] = call.provider.model
    suffix = call.system_suffix
    instructions = request.instructions
    if suffix:
        instructions = f"{instructions}\n{suffix}" if instructions else suffix
    if instructions is not None:
        body["instructions"] = instructions
    if is_priced(call.provider.cost) and body.get("max_output_tokens") is None:
        body["max_output_tokens"] = responses_output_limit(request)
    return with_extra_body(body, call.provider)


def chat_on_responses_body_model(request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
    """The OpenAI-client -> Responses-upstream body, as that adapter built it from models."""
    translated = openai_request_to_responses_model(request, model=call.provider.model)
    if translated.max_output_tokens is None and is_priced(call.provider.cost):
        translated.max_output_tokens = openai_output_limit(request)
    return responses_upstream_body_model(translated, call)


def anthropic_on_responses_body_model(request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Anthropic-client -> Responses-upstream body, as that adapter built it from models."""
    target = OpenAITarget(
        model=call.provider.model,
        max_tokens_field="max_completion_tokens",
        reasoning_control="reasoning_effort",
        fold_system_messages=False,
    )
    chat = anthropic_request_to_openai_model(request, target)
    return responses_upstream_body_model(
        openai_request_to_responses_model(chat, model=call.provider.model), call
    )


def responses_on_chat_body_model(request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Responses-client -> chat-upstream body, as that adapter built it from models."""
    chat = responses_request_to_openai_model(request, openai_target(call.provider))
    if is_priced(call.provider.cost) and chat.max_tokens is None and chat.max_completion_tokens is None:
        chat.max_tokens = responses_output_limit(request)
    body = chat.to_wire()
    body["messages"] = openai_messages_with_suffix(body["messages"], call.system_suffix)
    return with_extra_body(body, call.provider)


def anthropic_on_chat_body_model(request: MessagesRequest, call: ProviderCall) -> dict[str, Any]:
    """The Anthropic-client -> chat-upstream body, as that adapter built it from models."""
    body = anthropic_request_to_openai_model(request, openai_target(call.provider)).to_wire()
    body.pop(PROFILE_FIELD, None)
    body["messages"] = openai_messages_with_suffix(body["messages"], call.system_suffix)
    return with_extra_body(body, call.provider)
