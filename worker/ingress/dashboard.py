"""``GET /dashboard``: one self-contained page (no CDN, works offline) that polls ``metrics.json`` and
``dashboard.json`` (the history its charts draw, the month's projections, each client key's month)."""

from __future__ import annotations

import time
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from coderouter_supervisor.state import StateError
from coderouter_supervisor.worker.errors import AuthenticationFailed
from coderouter_supervisor.worker.ingress.metrics_routes import (
    MetricsUnavailable,
    authorize_admin,
    flushed_gateway,
)
from coderouter_supervisor.worker.money import KEY_LEDGER_PREFIX
from coderouter_supervisor.worker.reporting import collect_dashboard

# Read once: the page is static, its numbers come from metrics.json.
DASHBOARD_HTML = resources.files(__package__).joinpath("dashboard.html").read_text(encoding="utf-8")


async def dashboard(request: Request) -> Response:
    try:
        await authorize_admin(request)
    except AuthenticationFailed as refused:
        # A browser asks for credentials on this challenge; the admin key is the password.
        return PlainTextResponse(
            refused.message, status_code=401, headers={"www-authenticate": 'Basic realm="coderouter admin"'}
        )
    return HTMLResponse(DASHBOARD_HTML, headers={"cache-control": "no-cache"})


async def dashboard_as_json(request: Request) -> Response:
    """The charts' data; admin only, like ``metrics.json`` (it names every client key)."""
    gateway = await flushed_gateway(request)
    try:
        data = await collect_dashboard(
            gateway.store, gateway.config.config, time.time(), key_ledger_prefix=KEY_LEDGER_PREFIX
        )
    except StateError as exc:
        raise MetricsUnavailable(f"metrics unavailable: {exc}") from exc
    return JSONResponse(data)
