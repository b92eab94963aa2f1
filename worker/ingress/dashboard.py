"""``GET /dashboard``: one self-contained page (no CDN, works offline) that polls ``metrics.json``."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from coderouter_supervisor.worker.errors import AuthenticationFailed
from coderouter_supervisor.worker.ingress.metrics_routes import authorize_admin

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
