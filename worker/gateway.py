"""What a request handler can reach: the worker's config, state store, upstream client, heartbeat."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from coderouter_supervisor.state import StateStore
from coderouter_supervisor.worker.config import LoadedConfig
from coderouter_supervisor.worker.heartbeat import Heartbeat


@dataclass(frozen=True)
class Gateway:
    """Created once per worker in the app's lifespan; read-only for requests."""

    config: LoadedConfig
    store: StateStore
    http: httpx.AsyncClient
    heartbeat: Heartbeat
