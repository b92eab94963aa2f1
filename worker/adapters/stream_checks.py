"""What every client stream checks of its upstream: whether it ended properly, and its filters."""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import MidStreamFailure
from coderouter_supervisor.worker.translate import FilterChain, build_filter_chain


def ended_early(provider: str) -> MidStreamFailure:
    """A stream cut before its terminator: never to look like a finished answer."""
    return MidStreamFailure(f"provider {provider} ended the stream before it was complete", provider=provider)


def has_finish_reason(payload: dict[str, Any]) -> bool:
    choices = payload.get("choices")
    return isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices)


def filter_chain_of(provider: ProviderConfig) -> FilterChain | None:
    return build_filter_chain(provider.output_filters) if provider.output_filters else None
