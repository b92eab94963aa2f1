"""The OpenAI Responses API as a client protocol (``POST /v1/responses``), as Codex CLI speaks it.

Errors before the first byte use the OpenAI envelope (the ``openai`` SDK reads the same
``{"error": {...}}`` body on every endpoint); after it, a ``response.failed`` event.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from coderouter_supervisor.worker.adapters.client_protocol import ClientName
from coderouter_supervisor.worker.adapters.event_frames import encode_named_events
from coderouter_supervisor.worker.adapters.openai_client import OPENAI
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.guards import LOOP_HINT, ToolUse, responses_tool_uses
from coderouter_supervisor.worker.protocol import (
    OPENAI_PING_FRAME,
    ResponsesRequest,
)
from coderouter_supervisor.worker.translate import (
    ResponsesEventWriter,
    estimate_tokens,
    response_id,
    responses_output_limit,
)


def input_weight(request: ResponsesRequest) -> int:
    """How many items a walk over ``request`` visits: the weight ``run_step`` gives translating it."""
    return len(request.input) if isinstance(request.input, list) else 1


class ResponsesClient:
    name: ClientName = "responses"
    call_path = "/responses"
    request_model = ResponsesRequest
    ping_frame = OPENAI_PING_FRAME  # an SSE comment: Codex and the SDK skip it
    keeps_cache_markers = False  # Responses has no cache markers (prompt_cache_key is a routing hint)

    def requested_model(self, request: ResponsesRequest) -> str | None:
        return request.model

    def output_limit(self, request: ResponsesRequest) -> int:
        return responses_output_limit(request)

    def choices(self, request: ResponsesRequest) -> int:
        return 1  # the Responses API has no ``n``

    def streaming(self, request: ResponsesRequest) -> bool:
        return bool(request.stream)

    def stream_input_tokens(self, body: dict[str, Any]) -> int:
        # The estimator reads chat fields: the items and instructions count as messages and system.
        return estimate_tokens(
            {"system": body.get("instructions") or "", "messages": body.get("input") or []}
        )

    def tool_uses(self, body: Mapping[str, Any]) -> list[ToolUse]:
        return responses_tool_uses(body.get("input"))

    def with_loop_hint(self, body: Mapping[str, Any]) -> dict[str, Any]:
        instructions = body.get("instructions")
        hinted = (
            f"{instructions}\n\n{LOOP_HINT}" if isinstance(instructions, str) and instructions else LOOP_HINT
        )
        return {**body, "instructions": hinted}

    def error_body(self, error: GatewayError) -> tuple[dict[str, Any], int]:
        return OPENAI.error_body(error)

    def stream_error_frame(self, error: GatewayError) -> bytes:
        writer = ResponsesEventWriter(response_id=response_id(None), model="", created_at=int(time.time()))
        return encode_named_events(writer.fail(error))

    def model_list(self, ids: Sequence[str]) -> dict[str, Any]:
        return OPENAI.model_list(ids)

    def model_object(self, model_id: str) -> dict[str, Any]:
        return OPENAI.model_object(model_id)


RESPONSES = ResponsesClient()
