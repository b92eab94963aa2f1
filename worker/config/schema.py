"""The whole providers.yaml: ``CodeRouterConfig``.

Loads any coderouter-cli 1.10.1 file unchanged and with the same meaning; unknown keys are errors at every
level. The one addition is the optional ``supervisor:`` section. Environment overrides (``ALLOW_PAID``,
``CODEROUTER_MODE``) are applied by the loader, not here.
"""

from __future__ import annotations

import zoneinfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coderouter_supervisor.worker.config.auto_router import AutoRouterConfig
from coderouter_supervisor.worker.config.profiles import ProfileConfig
from coderouter_supervisor.worker.config.providers import ProviderConfig
from coderouter_supervisor.worker.config.references import ReferenceErrors, find_reference_problems
from coderouter_supervisor.worker.config.supervisor_section import SupervisorSection


class CodeRouterConfig(BaseModel):
    """A validated config: names are unique and every reference between sections resolves.

    ``default_profile`` names a declared profile or is ``"auto"`` (the auto router picks per request).
    ``display_timezone`` is an IANA zone name used only for display. Instances are immutable.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    allow_paid: bool = False
    default_profile: str = "default"
    providers: tuple[ProviderConfig, ...] = Field(min_length=1)
    profiles: tuple[ProfileConfig, ...] = Field(min_length=1)
    mode_aliases: dict[str, str] = Field(default_factory=dict)
    display_timezone: str | None = None
    auto_router: AutoRouterConfig | None = None
    supervisor: SupervisorSection = Field(default_factory=SupervisorSection)

    @field_validator("display_timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
            if not zoneinfo.available_timezones():
                raise ValueError("no IANA time zone database found on this machine (install tzdata)") from exc
            raise ValueError(
                f"unknown IANA time zone {value!r} (examples: UTC, Europe/Berlin, Asia/Tokyo)"
            ) from exc
        return value

    @model_validator(mode="after")
    def _check_references(self) -> CodeRouterConfig:
        problems = find_reference_problems(self)
        if problems:
            raise ReferenceErrors(problems)
        return self

    def provider(self, name: str) -> ProviderConfig:
        """The provider called ``name``; raises ``KeyError`` if there is none."""
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise KeyError(name)

    def profile(self, name: str) -> ProfileConfig:
        """The profile called ``name``; raises ``KeyError`` if there is none."""
        for profile in self.profiles:
            if profile.name == name:
                return profile
        raise KeyError(name)
