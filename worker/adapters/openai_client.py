"""The OpenAI Chat Completions API as a client protocol (``POST /v1/chat/completions``).

Also the shape of every answer to a client that did not say it speaks Anthropic: the one most
other clients understand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coderouter_supervisor.worker.adapters.anthropic_client import MODELS_CREATED
from coderouter_supervisor.worker.adapters.client_protocol import ClientName
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.guards import ToolUse, inject_hint_openai, openai_tool_uses
from coderouter_supervisor.worker.protocol import (
    OPENAI_PING_FRAME,
    ChatCompletionRequest,
    encode_openai_stream_error,
    openai_error_envelope,
    openai_status,
)
from coderouter_supervisor.worker.translate import openai_output_limit


class OpenAIClient:
    name: ClientName = "openai"
    call_path = "/chat/completions"
    request_model = ChatCompletionRequest
    ping_frame = OPENAI_PING_FRAME
    # OpenAI-shaped markers (OpenRouter's) pass through verbatim, so nothing is lost to translation.
    keeps_cache_markers = False

    def requested_model(self, request: ChatCompletionRequest) -> str | None:
        return request.model

    def output_limit(self, request: ChatCompletionRequest) -> int:
        return openai_output_limit(request)

    def choices(self, request: ChatCompletionRequest) -> int:
        return request.n or 1

    def streaming(self, request: ChatCompletionRequest) -> bool:
        return bool(request.stream)

    def stream_input_tokens(self, body: dict[str, Any]) -> int:
        return 0  # an OpenAI stream announces no input before the upstream's usage

    def tool_uses(self, body: Mapping[str, Any]) -> list[ToolUse]:
        return openai_tool_uses(body.get("messages"))

    def with_loop_hint(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return inject_hint_openai(body)

    def error_body(self, error: GatewayError) -> tuple[dict[str, Any], int]:
        return openai_error_envelope(error).to_wire(), openai_status(error)

    def stream_error_frame(self, error: GatewayError) -> bytes:
        return encode_openai_stream_error(error)

    def model_list(self, ids: Sequence[str]) -> dict[str, Any]:
        return {"object": "list", "data": [self.model_object(model_id) for model_id in ids]}

    def model_object(self, model_id: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": MODELS_CREATED, "owned_by": "coderouter"}


OPENAI = OpenAIClient()
