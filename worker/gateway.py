"""What a request handler can reach: the worker's config, state store, upstream client, heartbeat."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx
from starlette.requests import Request

from coderouter_supervisor.state import StateBackend
from coderouter_supervisor.worker.config import LoadedConfig
from coderouter_supervisor.worker.config.supervisor_section import (
    DEFAULT_MAX_BODY_MIB,
    DEFAULT_MAX_UPSTREAM_ANSWER_MIB,
)
from coderouter_supervisor.worker.guards import RankMemory
from coderouter_supervisor.worker.heartbeat import Heartbeat
from coderouter_supervisor.worker.routing import CapabilityRegistry
from coderouter_supervisor.worker.telemetry import MetricRecorder, SharedFacts

if TYPE_CHECKING:  # ingress imports this module; the key ring lives there
    from coderouter_supervisor.worker.ingress.client_auth import KeyRing


@dataclass(frozen=True)
class Gateway:
    """Created once per worker in the app's lifespan; read-only for requests except
    ``rank_memory`` (each profile's adaptive ranks, kept by this worker between requests)."""

    config: LoadedConfig
    store: StateBackend
    http: httpx.AsyncClient
    heartbeat: Heartbeat
    facts: SharedFacts
    metrics: MetricRecorder
    keys: KeyRing
    capabilities: CapabilityRegistry
    rank_memory: dict[str, Mapping[str, RankMemory]] = field(default_factory=dict)

    @property
    def max_body_bytes(self) -> int:
        mib = self.config.config.supervisor.max_body_mib or DEFAULT_MAX_BODY_MIB
        return mib * 1024 * 1024

    @property
    def max_upstream_answer_bytes(self) -> int:
        mib = self.config.config.supervisor.max_upstream_answer_mib or DEFAULT_MAX_UPSTREAM_ANSWER_MIB
        return mib * 1024 * 1024


class GatewaySlot:
    """Where requests find the worker's :class:`Gateway`. A gunicorn worker fills it once; the
    single-process gateway puts a new one in when it reloads its config in place."""

    def __init__(self) -> None:
        self.current: Gateway | None = None


def gateway_of(request: Request) -> Gateway:
    """The Gateway serving ``request``: the one current when the request first asked, for its whole
    life, so a reload never changes the config under a request already running."""
    pinned: Gateway | None = getattr(request.state, "gateway", None)
    if pinned is None:
        slot: GatewaySlot = request.state.gateway_slot
        assert slot.current is not None, "requests are served only after the lifespan started"
        pinned = request.state.gateway = slot.current
    return pinned
