"""Which profile serves a request: first hit wins, the same on both ingresses."""

from __future__ import annotations

from collections.abc import Mapping

from coderouter_supervisor.worker.config import AUTO_PROFILE, CodeRouterConfig, ProfileConfig
from coderouter_supervisor.worker.config.auto_router import DEFAULT_RULE_PROFILE
from coderouter_supervisor.worker.errors import InvalidRequest

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


def select_profile(
    config: CodeRouterConfig, *, body_profile: object, headers: Mapping[str, str], model: str | None
) -> ProfileConfig:
    """Body ``profile`` > ``X-CodeRouter-Profile`` > ``X-CodeRouter-Mode`` (via ``mode_aliases``)
    > a ``model`` that names a profile > ``default_profile``.

    Raises :class:`InvalidRequest` listing what exists when a named profile or mode is unknown.
    """
    if body_profile is not None:
        if not isinstance(body_profile, str) or not body_profile:
            raise InvalidRequest("profile: must be a non-empty string", field="profile")
        return _named(config, body_profile, "the body")
    header = headers.get(PROFILE_HEADER)
    if header:
        return _named(config, header.strip(), f"the {PROFILE_HEADER} header")
    mode = headers.get(MODE_HEADER)
    if mode:
        target = config.mode_aliases.get(mode.strip())
        if target is None:
            modes = ", ".join(config.mode_aliases) or "(none configured)"
            raise InvalidRequest(f"unknown mode {mode.strip()!r} in the {MODE_HEADER} header; modes: {modes}")
        return _named(config, target, f"mode_aliases[{mode.strip()!r}]")
    if model and any(profile.name == model for profile in config.profiles):
        return config.profile(model)
    default = config.default_profile
    if default == AUTO_PROFILE:
        # The auto router picks among rules; until it runs, its fallback profile serves.
        router = config.auto_router
        default = router.default_rule_profile if router is not None else DEFAULT_RULE_PROFILE
    return _named(config, default, "default_profile")
