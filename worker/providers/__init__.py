"""Upstream I/O over the worker's one shared :class:`UpstreamClient`: one provider call's parameters,
its URL and headers, the transport (whole answers and event streams) and the stream relay.

What is sent and how an answer is translated is decided per (client protocol, upstream kind)
pair in :mod:`..adapters`; the attempt loop is in :mod:`..engine`.
"""

from __future__ import annotations

from coderouter_supervisor.worker.config import read_api_key
from coderouter_supervisor.worker.providers.call import ProviderCall
from coderouter_supervisor.worker.providers.client_stream import ClientStream
from coderouter_supervisor.worker.providers.count_tokens import count_tokens_upstream
from coderouter_supervisor.worker.providers.endpoints import (
    anthropic_headers,
    anthropic_messages_url,
    anthropic_models_url,
    ollama_show_url,
    openai_chat_url,
    openai_headers,
    openai_models_url,
    openai_responses_url,
)
from coderouter_supervisor.worker.providers.relay import PING_INTERVAL_S, StreamRelay
from coderouter_supervisor.worker.providers.transport import (
    UpstreamEvent,
    get_json,
    open_stream,
    post_json,
)
from coderouter_supervisor.worker.providers.upstream_client import UpstreamClient, upstream_client

__all__ = [
    "PING_INTERVAL_S",
    "ClientStream",
    "ProviderCall",
    "StreamRelay",
    "UpstreamClient",
    "UpstreamEvent",
    "anthropic_headers",
    "anthropic_messages_url",
    "anthropic_models_url",
    "count_tokens_upstream",
    "get_json",
    "ollama_show_url",
    "open_stream",
    "openai_chat_url",
    "openai_headers",
    "openai_models_url",
    "openai_responses_url",
    "post_json",
    "read_api_key",
    "upstream_client",
]
