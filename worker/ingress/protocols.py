"""Which wire protocol a path speaks, so every answer (errors too) uses that protocol's shape."""

from __future__ import annotations

from typing import Literal

Ingress = Literal["anthropic", "openai"]

_OPENAI_PATHS = ("/v1/chat/completions", "/v1/v1/chat/completions")


def ingress_for_path(path: str) -> Ingress:
    """OpenAI for the chat completions paths; Anthropic's envelope everywhere else."""
    return "openai" if path.rstrip("/") in _OPENAI_PATHS else "anthropic"
