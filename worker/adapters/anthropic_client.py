"""The Anthropic Messages API as a client protocol (``POST /v1/messages``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from coderouter_supervisor.worker.adapters.client_protocol import ClientName
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.guards import ToolUse, anthropic_tool_uses, inject_hint_anthropic
from coderouter_supervisor.worker.protocol import (
    PING_FRAME,
    MessagesRequest,
    anthropic_error_envelope,
    encode_anthropic_stream_error,
)
from coderouter_supervisor.worker.translate import estimate_tokens

# A fixed timestamp: profiles have no creation date, and a stable answer caches well.
MODELS_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z


class AnthropicClient:
    name: ClientName = "anthropic"
    call_path = "/messages"
    request_model = MessagesRequest
    ping_frame = PING_FRAME
    # Cache markers are an Anthropic feature: translation to an OpenAI-compatible backend drops them.
    keeps_cache_markers = True

    def requested_model(self, request: MessagesRequest) -> str | None:
        return request.model

    def output_limit(self, request: MessagesRequest) -> int:
        return request.max_tokens

    def choices(self, request: MessagesRequest) -> int:
        return 1

    def streaming(self, request: MessagesRequest) -> bool:
        return bool(request.stream)

    def stream_input_tokens(self, body: dict[str, Any]) -> int:
        return estimate_tokens(body)

    def tool_uses(self, body: Mapping[str, Any]) -> list[ToolUse]:
        return anthropic_tool_uses(body.get("messages"))

    def with_loop_hint(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return inject_hint_anthropic(body)

    def error_body(self, error: GatewayError) -> tuple[dict[str, Any], int]:
        return anthropic_error_envelope(error).to_wire(), error.status

    def stream_error_frame(self, error: GatewayError) -> bytes:
        return encode_anthropic_stream_error(error)

    def model_list(self, ids: Sequence[str]) -> dict[str, Any]:
        return {
            "data": [self.model_object(model_id) for model_id in ids],
            "has_more": False,
            "first_id": ids[0] if ids else None,
            "last_id": ids[-1] if ids else None,
        }

    def model_object(self, model_id: str) -> dict[str, Any]:
        created_at = datetime.fromtimestamp(MODELS_CREATED, UTC).isoformat().replace("+00:00", "Z")
        return {"type": "model", "id": model_id, "display_name": model_id, "created_at": created_at}


ANTHROPIC = AnthropicClient()
