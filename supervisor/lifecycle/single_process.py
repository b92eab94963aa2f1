"""Serving in this process, no gunicorn: the gateway and the supervisor's endpoint share one event loop.

For a small box (a Raspberry Pi with 1 GiB) an arbiter and a worker cost twice the memory of one
process for nothing: there is no other worker to replace. The behaviour stays the same as under
gunicorn — same state file, same endpoints, SIGTERM drains, SIGHUP reloads (here in place, by
swapping the config the next requests see), and a config that does not load is refused while the
old one keeps serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import uvicorn

from coderouter_supervisor.supervisor.lifecycle.admin_endpoint import UVICORN_LOG_CONFIG, SignalFreeServer
from coderouter_supervisor.supervisor.lifecycle.supervision import Supervision
from coderouter_supervisor.worker.app import GatewayApp
from coderouter_supervisor.worker.config import LoadedConfig
from coderouter_supervisor.worker.handoff import WorkerHandoff

# As under gunicorn (etc/gunicorn.conf.py): longer than typical client idle timeouts.
_KEEPALIVE_S = 75


async def _serve(server: uvicorn.Server) -> int:
    """Run ``server``; uvicorn exits the process when it cannot bind, which here is just a failure."""
    try:
        await server.serve()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


class InProcessServing:
    """The gateway served by uvicorn in the supervisor's own event loop."""

    exit_code_field = "exit_code"

    def __init__(self) -> None:
        self._gateway: GatewayApp | None = None
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[int] | None = None

    async def start(self, job: Supervision, handoff: WorkerHandoff) -> str | None:
        gateway = GatewayApp(handoff, job.config, job.env)
        server = SignalFreeServer(
            uvicorn.Config(
                gateway.asgi,
                host=job.settings.host,
                port=job.settings.port,
                lifespan="on",
                log_config=UVICORN_LOG_CONFIG,
                server_header=False,
                access_log=False,
                timeout_keep_alive=_KEEPALIVE_S,
                timeout_graceful_shutdown=max(1, int(job.settings.graceful_timeout_s)),
            )
        )
        serving = asyncio.create_task(_serve(server), name="gateway")
        self._gateway, self._server, self._serving = gateway, server, serving
        while not server.started and not serving.done():
            await asyncio.sleep(0.02)
        return None if server.started else "the gateway did not start"

    def _started(self) -> tuple[GatewayApp, uvicorn.Server, asyncio.Task[int]]:
        if self._gateway is None or self._server is None or self._serving is None:
            raise RuntimeError("the gateway has not been started")
        return self._gateway, self._server, self._serving

    def started_fields(self) -> Mapping[str, object]:
        return {"workers": 1, "mode": "single-process"}

    async def finished(self) -> int:
        return await self._started()[2]

    def reload(self, config: LoadedConfig) -> None:
        self._started()[0].reload(config)

    def drain(self) -> None:
        self._started()[1].should_exit = True

    def stop_now(self) -> None:
        self._started()[1].force_exit = True
