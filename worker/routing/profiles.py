"""Which profile serves a request: first hit wins, the same on both ingresses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.config import AUTO_PROFILE, CodeRouterConfig, ProfileConfig
from coderouter_supervisor.worker.errors import InvalidRequest
from coderouter_supervisor.worker.routing.auto_router import AutoRoute, classify

PROFILE_HEADER = "x-coderouter-profile"
MODE_HEADER = "x-coderouter-mode"


def _known_profiles(config: CodeRouterConfig) -> str:
    return ", ".join(profile.name for profile in config.profiles)


def _named(config: CodeRouterConfig, name: str, where: str) -> ProfileConfig:
    try:
        return config.profile(name)
    except KeyError:
        raise InvalidRequest(
            f"unknown profile {name!r} in {where}; profiles: {_known_profiles(config)}",
            field="profile" if where == "the body" else None,
        ) from None


@dataclass(frozen=True)
class ProfileChoice:
    """The profile, and how it was chosen when that is worth an event (a mode alias, the auto router,
    the caller's client key in place of a default it may not use)."""

    profile: ProfileConfig
    mode: str | None = None
    auto: AutoRoute | None = None
    from_key: bool = False


def select_profile(
    config: CodeRouterConfig,
    *,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    model: str | None,
    allowed: tuple[str, ...] | None = None,
) -> ProfileChoice:
    """Body ``profile`` > ``X-CodeRouter-Profile`` > ``X-CodeRouter-Mode`` (via ``mode_aliases``)
    > a ``model`` that names a profile > the auto router (``default_profile: auto``) > ``default_profile``.

    ``allowed``: the profiles the caller's client key is limited to. A profile the request did not
    name (the auto router's, the default) outside them gives way to the first allowed one, so a
    limited key works without naming its profile; a profile the request names is kept as asked.

    Raises :class:`InvalidRequest` listing what exists when a named profile or mode is unknown,
    or when the auto router picks a profile that does not exist.
    """
    explicit = _explicit_choice(config, body=body, headers=headers, model=model)
    if explicit is not None:
        return explicit
    if config.default_profile == AUTO_PROFILE:
        route = classify(body, config.auto_router)
        where = f"auto_router rule {route.rule_id!r}" if route.rule_id else "auto_router fallthrough"
        implicit = ProfileChoice(_named(config, route.profile, where), auto=route)
    else:
        implicit = ProfileChoice(_named(config, config.default_profile, "default_profile"))
    if allowed and implicit.profile.name not in allowed:
        return ProfileChoice(_named(config, allowed[0], "the client key's profiles"), from_key=True)
    return implicit


def _explicit_choice(
    config: CodeRouterConfig, *, body: Mapping[str, Any], headers: Mapping[str, str], model: str | None
) -> ProfileChoice | None:
    """The profile the request names (body, header, mode, model), or None when it names none."""
    body_profile = body.get("profile")
    if body_profile is not None:
        if not isinstance(body_profile, str) or not body_profile:
            raise InvalidRequest("profile: must be a non-empty string", field="profile")
        return ProfileChoice(_named(config, body_profile, "the body"))
    header = headers.get(PROFILE_HEADER)
    if header:
        return ProfileChoice(_named(config, header.strip(), f"the {PROFILE_HEADER} header"))
    mode = headers.get(MODE_HEADER)
    if mode:
        target = config.mode_aliases.get(mode.strip())
        if target is None:
            modes = ", ".join(config.mode_aliases) or "(none configured)"
            raise InvalidRequest(f"unknown mode {mode.strip()!r} in the {MODE_HEADER} header; modes: {modes}")
        return ProfileChoice(_named(config, target, f"mode_aliases[{mode.strip()!r}]"), mode=mode.strip())
    if model and any(profile.name == model for profile in config.profiles):
        return ProfileChoice(config.profile(model))
    return None
