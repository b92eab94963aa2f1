"""What every adapter translating a Responses client for a non-Responses upstream shares: server-side
state refused with a clear 400, hosted tools dropped and named, long inputs shaped off the loop."""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.responses_client import RESPONSES, input_weight
from coderouter_supervisor.worker.errors import InvalidRequest
from coderouter_supervisor.worker.offload import run_step
from coderouter_supervisor.worker.protocol import ResponsesRequest
from coderouter_supervisor.worker.providers import ProviderCall
from coderouter_supervisor.worker.translate import flatten_tools, stateful_responses_fields


def refuse_stateful(request: ResponsesRequest, call: ProviderCall) -> None:
    """Raises :class:`InvalidRequest` when ``request`` asks for state ``call``'s provider cannot keep."""
    fields = stateful_responses_fields(request)
    if fields:
        raise InvalidRequest(
            f"provider {call.name} ({call.provider.kind}) keeps no responses on the server, so "
            f"{' and '.join(fields)} cannot be honoured: send the whole conversation in `input` "
            "with `store: false` (Codex CLI does this by default)",
            field=fields[0],
        )


class TranslatedResponses(ProtocolAdapter):
    """A Responses client served by an upstream that speaks another protocol."""

    client = RESPONSES
    dropped_reason = "hosted tools need an upstream that speaks the Responses API"

    def dropped_fields(self, request: ResponsesRequest) -> tuple[str, ...]:
        return tuple(f"tools[{kind}]" for kind in flatten_tools(request.tools).dropped)

    async def _shaped(self, request: ResponsesRequest, call: ProviderCall) -> dict[str, Any]:
        refuse_stateful(request, call)
        return await run_step(input_weight(request), self.upstream_body, request, call)
