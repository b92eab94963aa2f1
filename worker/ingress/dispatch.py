"""What both ingresses do once a request is valid: pick the profile and chain, explain the result."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from coderouter_supervisor.worker.config import ProfileConfig
from coderouter_supervisor.worker.errors import NoProviderLeft
from coderouter_supervisor.worker.gateway import Gateway
from coderouter_supervisor.worker.providers import FailedAttempt, ProviderCall, read_api_key
from coderouter_supervisor.worker.routing import resolve_chain, select_profile
from coderouter_supervisor.worker.telemetry import emit_event


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.state.gateway
    return gateway


def choose_profile(request: Request, data: dict[str, Any], model: str | None) -> ProfileConfig:
    config = gateway_of(request).config.config
    return select_profile(config, body_profile=data.get("profile"), headers=request.headers, model=model)


def provider_calls(request: Request, profile: ProfileConfig) -> list[ProviderCall]:
    """The chain to try for ``profile``, each with its provider's key read now.

    Raises :class:`NoProviderLeft` when the gates leave nothing to try.
    """
    config = gateway_of(request).config.config
    chain, skips = resolve_chain(config, profile)
    for skip in skips:
        emit_event("skip-paid-provider", provider=skip.provider, profile=profile.name)
    if not chain:
        emit_event("chain-paid-gate-blocked", "warning", profile=profile.name)
        raise NoProviderLeft(
            f"profile {profile.name!r} has no provider to try: every provider is paid and allow_paid is false"
        )
    beta = request.headers.get("anthropic-beta")
    version = request.headers.get("anthropic-version")
    return [
        ProviderCall(
            provider,
            profile,
            read_api_key(provider, os.environ),
            anthropic_beta=beta,
            anthropic_version=version,
        )
        for provider in chain
    ]


def explain_headers(
    profile: ProfileConfig, call: ProviderCall, failures: Sequence[FailedAttempt]
) -> dict[str, str]:
    """``X-CodeRouter-*`` headers: which profile and provider answered, and what was tried first."""
    headers = {"x-coderouter-profile": profile.name, "x-coderouter-provider": call.name}
    if failures:
        tried = [f"{f.provider};failed={f.reason}" for f in failures]
        headers["x-coderouter-fallback-chain"] = ", ".join([*tried, f"{call.name};ok"])
    return headers
