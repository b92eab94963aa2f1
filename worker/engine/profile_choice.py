"""Which profile serves a request, and whether its caller may use it."""

from __future__ import annotations

from typing import Any

from coderouter_supervisor.state import ClientKey
from coderouter_supervisor.worker.config import ProfileConfig
from coderouter_supervisor.worker.engine.context import Caller, EngineContext
from coderouter_supervisor.worker.errors import PermissionDenied
from coderouter_supervisor.worker.routing import ProfileChoice, select_profile
from coderouter_supervisor.worker.telemetry import emit_event


def select_request_profile(
    ctx: EngineContext, caller: Caller, body: dict[str, Any], model: str | None
) -> ProfileChoice:
    """Which profile serves ``body`` (see :func:`accept_profile`); raises :class:`InvalidRequest`
    for a profile the config does not have."""
    allowed = None if caller.key is None else caller.key.profiles
    return select_profile(ctx.config, body=body, headers=caller.headers, model=model, allowed=allowed)


def accept_profile(caller: Caller, choice: ProfileChoice) -> ProfileConfig:
    """The chosen profile, once the caller's key may use it (else :class:`PermissionDenied`); emits
    how it was chosen when the key, a mode alias or the auto router did."""
    check_profile(caller.key, choice.profile)
    if choice.from_key:
        emit_event("client-key-profile", profile=choice.profile.name)
    if choice.mode is not None:
        emit_event("mode-alias-resolved", mode=choice.mode, profile=choice.profile.name)
    if choice.auto is not None:
        name, fields = choice.auto.event()
        emit_event(name, "info", **fields)
    return choice.profile


def check_profile(key: ClientKey | None, profile: ProfileConfig) -> None:
    """Raises :class:`PermissionDenied` when ``key`` may not use ``profile``."""
    if key is not None and key.profiles is not None and profile.name not in key.profiles:
        allowed = ", ".join(key.profiles)
        raise PermissionDenied(
            f"client key {key.name!r} may not use profile {profile.name!r}; allowed: {allowed}"
        )
