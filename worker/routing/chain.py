"""The providers a profile will try, in order, after the gates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coderouter_supervisor.worker.config import CodeRouterConfig, ProfileConfig, ProviderConfig


@dataclass(frozen=True)
class Skip:
    provider: str
    reason: Literal["paid"]


def resolve_chain(
    config: CodeRouterConfig, profile: ProfileConfig
) -> tuple[tuple[ProviderConfig, ...], tuple[Skip, ...]]:
    """The profile's providers in order, without paid ones unless ``allow_paid``."""
    chain: list[ProviderConfig] = []
    skips: list[Skip] = []
    for name in profile.providers:
        provider = config.provider(name)
        if provider.paid and not config.allow_paid:
            skips.append(Skip(provider.name, "paid"))
            continue
        chain.append(provider)
    return tuple(chain), tuple(skips)
