"""``GET /healthz``: is this worker up, which config does it run, how many workers are alive."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse

from coderouter_supervisor.worker.ingress.gateway import gateway_of
from coderouter_supervisor.worker.version import VERSION


async def root(request: Request) -> JSONResponse:
    """``GET``/``HEAD /``: Claude Code probes its base URL before the first call."""
    return JSONResponse({"service": "coderouter-supervisor", "version": VERSION})


async def healthz(request: Request) -> JSONResponse:
    """Answer from memory only: no upstream call, no database read."""
    gateway = gateway_of(request)
    problem = gateway.facts.problem
    return JSONResponse(
        {
            # Still serving; "degraded" says shared state (budgets, health) cannot be trusted now.
            "status": "ok" if problem is None else "degraded",
            "state": "ok" if problem is None else problem,
            "pid": os.getpid(),
            "version": VERSION,
            "config": gateway.config.digest,
            "config_source": gateway.config.source,
            "workers_alive": gateway.heartbeat.workers_alive,
        }
    )
