"""One process, no gunicorn: the gateway and the supervisor's endpoint share one event loop.

For a small box (a Raspberry Pi with 1 GiB) an arbiter and a worker cost twice the memory of one
process for nothing: there is no other worker to replace. The behaviour stays the same as under
gunicorn — same state file, same endpoints, SIGTERM drains, SIGHUP reloads (here in place, by
swapping the config the next requests see), and a config that does not load is refused while the
old one keeps serving.
"""

from __future__ import annotations

import asyncio
import signal

import uvicorn

from coderouter_supervisor.supervisor.admin_endpoint import (
    UVICORN_LOG_CONFIG,
    AdminEndpoint,
    SignalFreeServer,
)
from coderouter_supervisor.supervisor.supervise import (
    Supervision,
    publish_config,
    reload_validated,
    watch_signals,
    worker_handoff,
)
from coderouter_supervisor.supervisor.wal_keeper import WalKeeper
from coderouter_supervisor.worker.app import GatewayApp
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.telemetry.write_policy import write_policy

# As under gunicorn (etc/gunicorn.conf.py): longer than typical client idle timeouts.
_KEEPALIVE_S = 75


async def _serve(server: uvicorn.Server) -> int:
    """Run ``server``; uvicorn exits the process when it cannot bind, which here is just a failure."""
    try:
        await server.serve()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


async def serve_in_process(job: Supervision) -> int:
    """Run until stopped; 0 after a requested stop, 1 when the gateway could not start or died."""
    received = watch_signals()
    publish_config(job.files, job.config)
    handoff = worker_handoff(job)
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
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if not server.started:
        emit_event("supervisor-stopped", "error", reason="the gateway did not start")
        return 1
    # The gateway's connection never checkpoints here either: one process, the same regime.
    keeper = WalKeeper(job.settings.state_db, write_policy(job.settings.write_profile))
    await keeper.start()
    admin = AdminEndpoint(job.settings.admin_port, job.settings.state_db, lambda: job.config)
    if job.settings.admin_port:
        await admin.start()
    try:
        return await _watch(job, gateway, server, serving, received)
    finally:
        await admin.stop()
        await keeper.stop()


async def _watch(
    job: Supervision,
    gateway: GatewayApp,
    server: uvicorn.Server,
    serving: asyncio.Task[int],
    received: asyncio.Queue[signal.Signals],
) -> int:
    emit_event(
        "supervisor-started",
        bind=job.settings.bind,
        workers=1,
        mode="single-process",
        write_profile=job.settings.write_profile,
        config=job.config.digest,
        config_source=job.config.source,
        state=str(job.settings.state_db),
    )
    stopping = False
    while True:
        next_signal = asyncio.ensure_future(received.get())
        done, _ = await asyncio.wait({serving, next_signal}, return_when=asyncio.FIRST_COMPLETED)
        if serving in done:
            next_signal.cancel()
            emit_event("supervisor-stopped", "info" if stopping else "error", exit_code=serving.result())
            return 0 if stopping and serving.result() == 0 else 1
        sig = next_signal.result()
        if sig == signal.SIGHUP:
            job.config = reload_validated(job, gateway.reload)
        elif not stopping:
            stopping = True
            emit_event(
                "supervisor-draining", signal=sig.name, graceful_timeout_s=job.settings.graceful_timeout_s
            )
            server.should_exit = True
        elif sig == signal.SIGINT:
            emit_event("supervisor-quick-stop", "warning")
            server.force_exit = True


def run_single_process(job: Supervision) -> int:
    return asyncio.run(serve_in_process(job))
