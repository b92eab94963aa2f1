"""Which client protocol a request speaks, so every answer (errors too) uses that protocol's shape."""

from __future__ import annotations

import re

from starlette.requests import Request

from coderouter_supervisor.worker.adapters import ANTHROPIC, DEFAULT_CLIENT, ClientProtocol

_ANTHROPIC_PATH = re.compile(r"(?:/v1)+/messages(?:/.*)?")


def ingress_of(request: Request) -> ClientProtocol:
    """Anthropic for the messages paths and for any caller sending ``anthropic-version`` (every
    Anthropic SDK does); the default protocol's envelope otherwise."""
    if _ANTHROPIC_PATH.fullmatch(request.url.path.rstrip("/")) or "anthropic-version" in request.headers:
        return ANTHROPIC
    return DEFAULT_CLIENT
