"""The supervisor's own endpoint: the instance's metrics and status, answered while workers restart.

Served by the supervisor process on loopback (``--admin-port``), from its own state connection and
thread, so it keeps answering when every worker is being replaced. The supervisor never forks (the
arbiter is started with exec), so these threads never end up in a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from coderouter_supervisor.state import (
    StateBackend,
    StateError,
    StateLocation,
    open_state,
    shown_location,
    state_admin,
)
from coderouter_supervisor.worker.config import LoadedConfig
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.ingress import DASHBOARD_HTML, FrontDoor, KeyRing
from coderouter_supervisor.worker.money import KEY_LEDGER_PREFIX
from coderouter_supervisor.worker.reporting import collect_dashboard, collect_snapshot
from coderouter_supervisor.worker.telemetry import emit_event, metrics_json, prometheus_text
from coderouter_supervisor.worker.version import VERSION

ADMIN_HOST = "127.0.0.1"
# uvicorn's default log config runs logging.config.dictConfig, which closes every handler already
# installed, our event file included (it then writes to whatever reuses its descriptor). uvicorn's
# loggers get our JSON handlers from configure_event_log instead.
UVICORN_LOG_CONFIG = None
PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def rss_bytes(pid: int) -> int | None:
    """Resident memory of ``pid`` from /proc, or None where that is not readable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def admin_app(store: StateBackend, config: Callable[[], LoadedConfig], state_db: StateLocation) -> Starlette:
    """``/metrics``, ``/metrics.json``, ``/status``, ``/dashboard`` and its ``/dashboard.json``;
    ``config`` gives the active config (reloads). It listens on loopback only;
    ``supervisor.admin_requires_key`` asks for an admin key anyway."""
    keys = KeyRing(store, auth_off=False)
    admin = state_admin(state_db)

    async def unavailable(exc: StateError) -> JSONResponse:
        return JSONResponse({"error": f"state file unreadable: {exc}"}, status_code=503)

    def guarded(
        endpoint: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def checked(request: Request) -> Response:
            strict = bool(config().config.supervisor.admin_requires_key)
            try:
                await keys.authorize_admin(
                    request.headers, request.client.host if request.client else None, strict=strict
                )
            except GatewayError as refused:
                headers = (
                    {"www-authenticate": 'Basic realm="coderouter admin"'} if refused.status == 401 else {}
                )
                return JSONResponse({"error": refused.message}, status_code=refused.status, headers=headers)
            return await endpoint(request)

        return checked

    async def dashboard(request: Request) -> Response:
        return HTMLResponse(DASHBOARD_HTML, headers={"cache-control": "no-cache"})

    async def metrics(request: Request) -> Response:
        try:
            snapshot = await collect_snapshot(store, config().config, time.time())
        except StateError as exc:
            return await unavailable(exc)
        return Response(prometheus_text(snapshot), media_type=PROMETHEUS_TYPE)

    async def metrics_as_json(request: Request) -> Response:
        try:
            snapshot = await collect_snapshot(store, config().config, time.time())
        except StateError as exc:
            return await unavailable(exc)
        return JSONResponse(metrics_json(snapshot))

    async def dashboard_as_json(request: Request) -> Response:
        try:
            data = await collect_dashboard(
                store, config().config, time.time(), key_ledger_prefix=KEY_LEDGER_PREFIX
            )
        except StateError as exc:
            return await unavailable(exc)
        return JSONResponse(data)

    async def status(request: Request) -> Response:
        now = time.time()
        try:
            workers = await store.list_workers(now)
            described = await asyncio.to_thread(admin.describe)  # a query of its own: off the loop
        except StateError as exc:
            return await unavailable(exc)
        active = config()
        return JSONResponse(
            {
                "version": VERSION,
                "supervisor_pid": os.getpid(),
                "config": active.digest,
                "config_source": active.source,
                "state": shown_location(state_db),
                "store": {
                    "kind": described.kind,
                    "version": described.engine_version,
                    "schema_version": described.schema_version,
                },
                "workers": [
                    {
                        "pid": w.pid,
                        "box": w.box,
                        "uptime_s": round(now - w.started_at, 1),
                        "requests": w.requests,
                        "last_heartbeat_s_ago": round(now - w.last_seen, 1),
                        "rss_bytes": rss_bytes(w.pid),
                    }
                    for w in workers
                ],
            }
        )

    return Starlette(
        routes=[
            Route("/metrics", guarded(metrics), methods=["GET"]),
            Route("/metrics.json", guarded(metrics_as_json), methods=["GET"]),
            Route("/status", guarded(status), methods=["GET"]),
            Route("/dashboard", guarded(dashboard), methods=["GET"]),
            Route("/dashboard.json", guarded(dashboard_as_json), methods=["GET"]),
        ]
    )


class SignalFreeServer(uvicorn.Server):
    """A uvicorn server that leaves signals alone: the supervisor's loop handles them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class AdminEndpoint:
    """Runs :func:`admin_app` in the supervisor's event loop until :meth:`stop`."""

    def __init__(self, port: int, state_db: StateLocation, config: Callable[[], LoadedConfig]) -> None:
        self._port = port
        self._state_db = state_db
        self._config = config
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._store: StateBackend | None = None

    async def start(self) -> None:
        self._store = await open_state(self._state_db)
        # Loopback only, so like the gateway it answers only for loopback host names (DNS rebinding).
        app = FrontDoor(admin_app(self._store, self._config, self._state_db), loopback_only=True)
        server_config = uvicorn.Config(
            app,
            host=ADMIN_HOST,
            port=self._port,
            log_config=UVICORN_LOG_CONFIG,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = SignalFreeServer(server_config)
        self._task = asyncio.create_task(self._server.serve(), name="admin-endpoint")
        emit_event("admin-endpoint-started", bind=f"{ADMIN_HOST}:{self._port}")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, timeout=5)
        if self._store is not None:
            await self._store.close()
