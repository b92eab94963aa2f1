"""Responses clients served by an OpenAI-compatible upstream: requests, answers and streams translated.

Namespace tools go up flattened and come back under the names the client declared; tool calls a
model wrote as text become real calls; reasoning comes back as summaries, never as encrypted content.
"""

from __future__ import annotations

import time
from typing import Any

from coderouter_supervisor.worker.adapters.answer_reading import plain_completion_usage, read_completion
from coderouter_supervisor.worker.adapters.openai_compat_upstream import (
    OPENAI_COMPAT_UPSTREAM,
    openai_messages_with_suffix,
    openai_target,
)
from coderouter_supervisor.worker.adapters.responses_frames import (
    ResponsesFrames,
    asks_encrypted_reasoning,
    echoed,
    response_echo,
)
from coderouter_supervisor.worker.adapters.responses_translated import TranslatedResponses
from coderouter_supervisor.worker.adapters.stream_checks import filter_chain_of
from coderouter_supervisor.worker.adapters.upstream_kind import with_extra_body
from coderouter_supervisor.worker.money import is_priced
from coderouter_supervisor.worker.protocol import ResponsesRequest
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall
from coderouter_supervisor.worker.translate import (
    OpenAIToResponsesStream,
    echo_fields,
    flatten_tools,
    openai_completion_to_response,
    plain_completion_to_response,
    repair_completion,
    responses_output_limit,
    responses_request_to_openai,
)


class ResponsesOnOpenAICompat(TranslatedResponses):
    upstream = OPENAI_COMPAT_UPSTREAM

    def upstream_body(self, request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
        """The chat request for a Responses request. A priced provider is always sent the output
        limit its budget hold reserved for (``responses_output_limit``)."""
        limit = responses_output_limit(request) if is_priced(call.provider.cost) else None
        body = responses_request_to_openai(request, openai_target(call.provider), limit_when_unset=limit).body
        body["messages"] = openai_messages_with_suffix(body["messages"], call.system_suffix)
        return with_extra_body(body, call.provider)

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: ResponsesRequest, *, created: int
    ) -> dict[str, Any]:
        flat = flatten_tools(request.tools)
        declared = frozenset(tool.name for tool in flat.functions)
        plain = plain_completion_usage(payload)
        if plain is not None:
            answer = plain_completion_to_response(
                payload,
                requested_model=request.model,
                created_at=created,
                usage=plain.usage,
                names=flat.names,
                declared=declared,
                filters=call.provider.output_filters,
                echo=echo_fields(response_echo(request)),
            )
            if answer is not None:
                return answer
        completion = repair_completion(read_completion(payload, call.provider), declared)
        response = openai_completion_to_response(
            completion, requested_model=request.model, created_at=created, tool_names=flat.names
        )
        return echoed(response, request)

    def client_stream(
        self, call: ProviderCall, request: ResponsesRequest, *, input_tokens: int
    ) -> ClientStream:
        # Recomputed from the request: the same flat names the upstream body declared.
        flat = flatten_tools(request.tools)
        translator = OpenAIToResponsesStream(
            model=request.model,
            provider=call.name,
            created_at=int(time.time()),
            tool_names=flat.names,
            echo=response_echo(request),
            input_tokens=input_tokens,
            text_filter=filter_chain_of(call.provider),
            declared_tools=frozenset(tool.name for tool in flat.functions),
        )
        return ResponsesFrames(
            translator, provider=call.name, encrypted_reasoning=asks_encrypted_reasoning(request)
        )


RESPONSES_ON_OPENAI_COMPAT = ResponsesOnOpenAICompat()
