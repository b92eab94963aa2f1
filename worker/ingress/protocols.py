"""Which wire protocol a request speaks, so every answer (errors too) uses that protocol's shape."""

from __future__ import annotations

import re
from typing import Literal

from starlette.requests import Request

Ingress = Literal["anthropic", "openai"]

_ANTHROPIC_PATH = re.compile(r"(?:/v1)+/messages(?:/.*)?")


def ingress_of(request: Request) -> Ingress:
    """Anthropic for the messages paths and for any caller sending ``anthropic-version`` (every
    Anthropic SDK does); OpenAI's envelope otherwise, the shape most other clients understand."""
    if _ANTHROPIC_PATH.fullmatch(request.url.path.rstrip("/")) or "anthropic-version" in request.headers:
        return "anthropic"
    return "openai"
