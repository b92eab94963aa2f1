"""What a request handler can reach: the worker's config, state store, heartbeat, key ring and engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from coderouter_supervisor.state import StateBackend
from coderouter_supervisor.worker.config import (
    DEFAULT_MAX_BODY_MIB,
    DEFAULT_MAX_UPSTREAM_ANSWER_MIB,
    LoadedConfig,
)
from coderouter_supervisor.worker.engine import EngineContext, FactCache
from coderouter_supervisor.worker.heartbeat import Heartbeat
from coderouter_supervisor.worker.ingress.client_auth import KeyRing
from coderouter_supervisor.worker.telemetry import MetricRecorder


@dataclass(frozen=True)
class Gateway:
    """Created once per worker in the app's lifespan, and again on each in-place reload; read-only
    for requests. ``engine`` is what the engine is handed for every request under this config."""

    config: LoadedConfig
    store: StateBackend
    heartbeat: Heartbeat
    facts: FactCache
    metrics: MetricRecorder
    keys: KeyRing
    engine: EngineContext

    @property
    def max_body_bytes(self) -> int:
        mib = self.config.config.supervisor.max_body_mib or DEFAULT_MAX_BODY_MIB
        return mib * 1024 * 1024


def max_upstream_answer_bytes(config: LoadedConfig) -> int:
    mib = config.config.supervisor.max_upstream_answer_mib or DEFAULT_MAX_UPSTREAM_ANSWER_MIB
    return mib * 1024 * 1024


class GatewaySlot:
    """Where requests find the worker's :class:`Gateway`. A gunicorn worker fills it once; the
    single-process gateway puts a new one in when it reloads its config in place."""

    def __init__(self) -> None:
        self.current: Gateway | None = None


def gateway_of(request: Request) -> Gateway:
    """The Gateway serving ``request``: the one current when the request first asked, for its whole
    life, so a reload never changes the config under a request already running. Called only at the
    ingress edge (route handlers and middleware)."""
    # The scope's state dict is what ``request.state`` wraps; read directly, because the wrapper
    # raises (and formats) an AttributeError for the first, missing "gateway" of every request.
    state: dict[str, Any] = request.scope["state"]
    pinned: Gateway | None = state.get("gateway")
    if pinned is None:
        slot: GatewaySlot = state["gateway_slot"]
        assert slot.current is not None, "requests are served only after the lifespan started"
        pinned = state["gateway"] = slot.current
    return pinned
