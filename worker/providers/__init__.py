"""Upstream adapters over the worker's one shared httpx.AsyncClient.

The attempt loop (:func:`first_success`) tries a chain of :class:`ProviderCall` in order;
each attempt builds the provider's request, sends it, and translates the answer (or the
stream) into the client's protocol.
"""

from __future__ import annotations

from coderouter_supervisor.worker.config import read_api_key
from coderouter_supervisor.worker.providers.call import ProviderCall
from coderouter_supervisor.worker.providers.exchange import (
    Completion,
    complete_anthropic,
    complete_openai,
    stream_anthropic,
    stream_openai,
)
from coderouter_supervisor.worker.providers.fallback import FailedAttempt, first_success
from coderouter_supervisor.worker.providers.relay import PING_INTERVAL_S, StreamRelay

__all__ = [
    "PING_INTERVAL_S",
    "Completion",
    "FailedAttempt",
    "ProviderCall",
    "StreamRelay",
    "complete_anthropic",
    "complete_openai",
    "first_success",
    "read_api_key",
    "stream_anthropic",
    "stream_openai",
]
