"""Responses clients served by an Anthropic upstream: requests, answers and streams translated.

Namespace tools go up flattened and come back under the names the client declared. Anthropic's
signed thinking travels in ``encrypted_content`` and goes back only to an Anthropic upstream.
"""

from __future__ import annotations

import time
from typing import Any

from coderouter_supervisor.worker.adapters.answer_reading import plain_message_usage, read_message
from coderouter_supervisor.worker.adapters.anthropic_upstream import ANTHROPIC_UPSTREAM, anthropic_system
from coderouter_supervisor.worker.adapters.responses_frames import (
    ResponsesFrames,
    asks_encrypted_reasoning,
    echoed,
    response_echo,
)
from coderouter_supervisor.worker.adapters.responses_translated import TranslatedResponses
from coderouter_supervisor.worker.adapters.stream_checks import filter_chain_of
from coderouter_supervisor.worker.adapters.upstream_kind import with_extra_body
from coderouter_supervisor.worker.protocol import ResponsesRequest
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall
from coderouter_supervisor.worker.translate import (
    AnthropicToResponsesStream,
    anthropic_message_to_response,
    echo_fields,
    flatten_tools,
    plain_message_to_response,
    responses_request_to_anthropic,
)


class ResponsesOnAnthropic(TranslatedResponses):
    upstream = ANTHROPIC_UPSTREAM

    def upstream_body(self, request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
        body = responses_request_to_anthropic(request, model=call.provider.model)
        if call.drop_thinking:
            body.pop("thinking", None)
        if call.system_suffix:
            body["system"] = anthropic_system(body.get("system"), call.system_suffix)
        return with_extra_body(body, call.provider)

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: ResponsesRequest, *, created: int
    ) -> dict[str, Any]:
        names = flatten_tools(request.tools).names
        usage = plain_message_usage(payload)
        if usage is not None:
            return plain_message_to_response(
                payload,
                created_at=created,
                usage=usage,
                names=names,
                filters=call.provider.output_filters,
                encrypted_reasoning=asks_encrypted_reasoning(request),
                echo=echo_fields(response_echo(request)),
            )
        response = anthropic_message_to_response(
            read_message(payload, call.provider), created_at=created, tool_names=names
        )
        return echoed(response, request)

    def client_stream(
        self, call: ProviderCall, request: ResponsesRequest, *, input_tokens: int
    ) -> ClientStream:
        translator = AnthropicToResponsesStream(
            model=request.model,
            provider=call.name,
            created_at=int(time.time()),
            tool_names=flatten_tools(request.tools).names,
            echo=response_echo(request),
            text_filter=filter_chain_of(call.provider),
        )
        return ResponsesFrames(
            translator, provider=call.name, encrypted_reasoning=asks_encrypted_reasoning(request)
        )


RESPONSES_ON_ANTHROPIC = ResponsesOnAnthropic()
