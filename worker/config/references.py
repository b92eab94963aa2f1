"""Cross-reference checks between the sections of a providers.yaml.

coderouter-cli 1.10.1 accepted duplicate names and profiles naming unknown providers, and found missing
bundled auto-router profiles only at request time. Here all of them are load-time errors, each located at
the key that is wrong. ``CodeRouterConfig`` runs these checks after its fields are valid and raises
``ReferenceErrors`` (a ``ValueError``, so pydantic wraps it); the loader unpacks it into one problem each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from coderouter_supervisor.worker.config.auto_router import BUNDLED_RULES, DEFAULT_RULE_PROFILE
from coderouter_supervisor.worker.config.errors import format_key_path
from coderouter_supervisor.worker.config.profiles import AUTO_PROFILE

if TYPE_CHECKING:
    from coderouter_supervisor.worker.config.schema import CodeRouterConfig

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ReferenceProblem:
    """A broken reference; ``loc`` is relative to the top of the config, in pydantic's loc form."""

    loc: Loc
    message: str


class ReferenceErrors(ValueError):
    """Every broken reference in one config; ``problems`` is never empty."""

    def __init__(self, problems: tuple[ReferenceProblem, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{format_key_path(p.loc)}: {p.message}" for p in problems))


def find_reference_problems(config: CodeRouterConfig) -> tuple[ReferenceProblem, ...]:
    """All broken references in ``config``, in file order of the sections (empty when there are none)."""
    problems: list[ReferenceProblem] = []
    provider_names = [provider.name for provider in config.providers]
    profile_names = [profile.name for profile in config.profiles]
    problems += _duplicates("providers", "provider", provider_names)
    problems += _duplicates("profiles", "profile", profile_names)

    declared_providers = f"declared: {', '.join(dict.fromkeys(provider_names))}"
    for p_index, profile in enumerate(config.profiles):
        for index, name in enumerate(profile.providers):
            if name not in provider_names:
                problems.append(
                    ReferenceProblem(
                        ("profiles", p_index, "providers", index),
                        f"unknown provider {name!r} ({declared_providers})",
                    )
                )

    for name in config.supervisor.providers:
        if name not in provider_names:
            problems.append(
                ReferenceProblem(
                    ("supervisor", "providers", name), f"unknown provider {name!r} ({declared_providers})"
                )
            )

    def unknown_profile(loc: Loc, name: str) -> None:
        if name not in profile_names:
            declared = ", ".join(dict.fromkeys(profile_names))
            problems.append(ReferenceProblem(loc, f"unknown profile {name!r} (declared: {declared})"))

    for alias, target in config.mode_aliases.items():
        unknown_profile(("mode_aliases", alias), target)
    if config.default_profile != AUTO_PROFILE and config.default_profile not in profile_names:
        declared = ", ".join(dict.fromkeys(profile_names))
        problems.append(
            ReferenceProblem(
                ("default_profile",),
                f"unknown profile {config.default_profile!r} (declared: {declared}; "
                f"or '{AUTO_PROFILE}' for the auto router)",
            )
        )
    router = config.auto_router
    if router is not None:
        for index, rule in enumerate(router.rules):
            unknown_profile(("auto_router", "rules", index, "profile"), rule.profile)
        unknown_profile(("auto_router", "default_rule_profile"), router.default_rule_profile)
    problems += _missing_bundled_profiles(config, profile_names)
    return tuple(problems)


def _duplicates(section: str, noun: str, names: list[str]) -> Iterable[ReferenceProblem]:
    first_seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first_seen:
            yield ReferenceProblem(
                (section, index, "name"),
                f"duplicate {noun} name {name!r} (already declared at {section}[{first_seen[name]}])",
            )
        else:
            first_seen[name] = index


def _missing_bundled_profiles(
    config: CodeRouterConfig, profile_names: list[str]
) -> Iterable[ReferenceProblem]:
    """With ``default_profile: auto`` and no declared rules, the bundled rules must find their profiles."""
    router = config.auto_router
    if config.default_profile != AUTO_PROFILE or (router is not None and (router.rules or router.disabled)):
        return
    needed = [rule.profile for rule in BUNDLED_RULES]
    if router is None:
        # Without an auto_router section the fallthrough is the default rule profile; with one, that key is
        # checked on its own.
        needed.append(DEFAULT_RULE_PROFILE)
        loc: Loc = ("default_profile",)
        situation = f"'{AUTO_PROFILE}' without an auto_router section"
        fix = "declare them, or add auto_router.rules"
    else:
        loc = ("auto_router", "rules")
        situation = f"empty with default_profile '{AUTO_PROFILE}'"
        fix = "declare them, or list your own rules here"
    missing = [name for name in dict.fromkeys(needed) if name not in profile_names]
    if missing:
        routed_to = ", ".join(repr(name) for name in dict.fromkeys(needed))
        yield ReferenceProblem(
            loc,
            f"{situation} uses the bundled rules, which route to profiles {routed_to}; "
            f"missing: {', '.join(missing)} ({fix})",
        )
