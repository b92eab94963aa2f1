"""The gateway's ASGI application, built once per worker process (after fork, under gunicorn)."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

import anyio

from coderouter_supervisor.state import StateBackend, open_state
from coderouter_supervisor.worker.config import ConfigError, LoadedConfig, parse_config
from coderouter_supervisor.worker.engine import EngineContext, FactCache
from coderouter_supervisor.worker.handoff import WorkerHandoff
from coderouter_supervisor.worker.heartbeat import Heartbeat, RequestCounter
from coderouter_supervisor.worker.ingress import (
    Dispatcher,
    FrontDoor,
    Gateway,
    GatewaySlot,
    KeyRing,
    gateway_routes,
    is_loopback,
    max_upstream_answer_bytes,
)
from coderouter_supervisor.worker.providers import upstream_client
from coderouter_supervisor.worker.routing import CapabilityRegistry, bundled_rules, load_registry
from coderouter_supervisor.worker.telemetry import (
    MetricRecorder,
    StateStatus,
    configure_event_log,
    emit_event,
    events_path,
    write_policy,
)

# Upstream connection pool per worker. Streams from local models can stay silent for
# minutes during prefill, so read timeouts are per provider, set per request.


def create_app(env: Mapping[str, str] | None = None) -> FrontDoor:
    """gunicorn's app factory: build the gateway from the supervisor's handoff (see :mod:`..handoff`).

    Raises ``LookupError`` when started outside the supervisor and ``ConfigError`` when
    the snapshot does not load; either stops the worker before it serves anything.
    """
    env = os.environ if env is None else env
    configure_event_log("worker")
    handoff = WorkerHandoff.from_env(env)
    config = parse_config(handoff.config_snapshot.read_text(encoding="utf-8"), handoff.config_source, env)
    configure_event_log("worker", events_path(env, config.config.supervisor.events_path))
    return GatewayApp(handoff, config, env).asgi


class GatewayApp:
    """The gateway's ASGI app (``asgi``) and, for a server that runs it in place, :meth:`reload`."""

    def __init__(self, handoff: WorkerHandoff, config: LoadedConfig, env: Mapping[str, str]) -> None:
        self._home = Path(env.get("HOME") or Path.home())
        self._slot = GatewaySlot()
        writes = write_policy(handoff.write_profile)
        initial = config
        slot = self._slot

        @asynccontextmanager
        async def lifespan() -> AsyncIterator[dict[str, GatewaySlot]]:
            store = await open_state(handoff.state_db)
            status = StateStatus()
            heartbeat = Heartbeat(store, counter, writes.heartbeat_interval_s, status)
            facts = FactCache(
                store, lambda: heartbeat.worker_id, writes.facts_flush_s, writes.share_observations, status
            )
            metrics = MetricRecorder(store, lambda: heartbeat.worker_id, writes.metrics_flush_s, status)
            http = upstream_client()
            try:
                # httpcore's pool (its locks and cancel shields are anyio's) would import anyio's
                # event-loop backend (~100 ms) on the first upstream call; this imports it now.
                await anyio.sleep(0)
                await heartbeat.start()
                await metrics.start()
                await facts.start()
                emit_event("worker-started", config=initial.digest, config_source=initial.source)
                slot.current = Gateway(
                    config=initial,
                    store=store,
                    heartbeat=heartbeat,
                    facts=facts,
                    metrics=metrics,
                    keys=_key_ring(store, initial),
                    engine=EngineContext(
                        config=initial.config,
                        facts=facts,
                        store=store,
                        http=http,
                        capabilities=_capabilities(self._home),
                        worker_id=lambda: heartbeat.worker_id,
                        max_upstream_answer_bytes=max_upstream_answer_bytes(initial),
                    ),
                )
                # What the worker built to start (modules, models, the config) lives as long as it
                # does: frozen, the collector's full collections no longer walk it (16-30 ms each,
                # one every ~1,500 requests; under 1 ms frozen).
                gc.freeze()
                yield {"gateway_slot": slot}
            finally:
                slot.current = None
                await facts.stop()
                emit_event("worker-stopped")
                await metrics.stop()
                await heartbeat.stop()
                await http.aclose()
                await store.close()

        counter = RequestCounter()
        app = Dispatcher(gateway_routes(), lifespan)
        self.asgi = FrontDoor(app, loopback_only=is_loopback(handoff.bind_host), counter=counter)

    def reload(self, config: LoadedConfig) -> None:
        """Serve ``config`` from the next request on; requests already running finish on the old one.
        Shared state, connections and this worker's heartbeat carry over; adaptive ranks start afresh."""
        current = self._slot.current
        if current is None:
            raise RuntimeError("the gateway is not serving")
        self._slot.current = replace(
            current,
            config=config,
            keys=_key_ring(current.store, config),
            engine=replace(
                current.engine,
                config=config.config,
                capabilities=_capabilities(self._home),
                max_upstream_answer_bytes=max_upstream_answer_bytes(config),
                rank_memory={},
            ),
        )


def _key_ring(store: StateBackend, config: LoadedConfig) -> KeyRing:
    return KeyRing(store, auth_off=config.config.supervisor.auth == "none")


def _capabilities(home: Path) -> CapabilityRegistry:
    """The capability registry; a user file broken since the supervisor checked it is ignored, loudly,
    because a worker that fails to boot would stop the whole server."""
    try:
        return load_registry(home)
    except ConfigError as exc:
        emit_event("capability-registry-ignored", "error", error=str(exc))
        return CapabilityRegistry(bundled_rules())
