"""Ask an Anthropic upstream for an exact token count."""

from __future__ import annotations

from coderouter_supervisor.worker.protocol import CountTokensRequest
from coderouter_supervisor.worker.providers.call import ProviderCall
from coderouter_supervisor.worker.providers.endpoints import anthropic_count_tokens_url, anthropic_headers
from coderouter_supervisor.worker.providers.transport import post_json
from coderouter_supervisor.worker.providers.upstream_client import UpstreamClient


async def count_tokens_upstream(
    http: UpstreamClient, call: ProviderCall, request: CountTokensRequest
) -> int | None:
    """The upstream's ``input_tokens``, or None when its answer has none; raises ``UpstreamError``."""
    body = request.to_wire()
    body.pop("profile", None)
    body["model"] = call.provider.model
    payload = await post_json(
        http,
        anthropic_count_tokens_url(call.provider.base_url),
        anthropic_headers(call),
        body,
        timeout_s=call.timeout_s,
        provider=call.name,
        limit=call.max_answer_bytes,
    )
    tokens = payload.get("input_tokens")
    return tokens if isinstance(tokens, int) else None
