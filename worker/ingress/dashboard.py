"""``GET /dashboard``: one self-contained page (no CDN, works offline) that polls ``metrics.json``."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse

# Read once: the page is static, its numbers come from metrics.json.
DASHBOARD_HTML = resources.files(__package__).joinpath("dashboard.html").read_text(encoding="utf-8")


async def dashboard(request: Request) -> HTMLResponse:
    return HTMLResponse(DASHBOARD_HTML, headers={"cache-control": "no-cache"})
