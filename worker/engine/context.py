"""What the engine works with, handed in: the collaborators of one worker and the caller of one request."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from coderouter_supervisor.state import ClientKey, StateBackend
from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.engine.fact_cache import FactCache
from coderouter_supervisor.worker.guards import RankMemory
from coderouter_supervisor.worker.providers import UpstreamClient
from coderouter_supervisor.worker.routing import CapabilityRegistry


@dataclass(frozen=True)
class Clock:
    """Wall clock (UTC seconds) for what processes must agree on; monotonic for latency."""

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic


SYSTEM_CLOCK = Clock()


@dataclass(frozen=True)
class EngineContext:
    """One worker's collaborators under one config; built when the config is (re)loaded, never per
    request. ``rank_memory`` (each profile's adaptive ranks) is the one thing requests change.
    ``worker_id`` is the worker's heartbeat row, None until it is registered."""

    config: CodeRouterConfig
    facts: FactCache
    store: StateBackend
    http: UpstreamClient
    capabilities: CapabilityRegistry
    worker_id: Callable[[], int | None]
    max_upstream_answer_bytes: int
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Clock = SYSTEM_CLOCK
    rank_memory: dict[str, Mapping[str, RankMemory]] = field(default_factory=dict)


@dataclass(frozen=True)
class Caller:
    """Who sent a request: its client key (None when auth is off) and its headers (the profile header,
    Anthropic's ``anthropic-beta`` and ``anthropic-version``, which go upstream)."""

    key: ClientKey | None
    headers: Mapping[str, str]
