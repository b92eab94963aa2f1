"""One ``profiles:`` entry: an ordered fallback chain of providers plus its guard settings.

coderouter-cli 1.10.1 calls this model ``FallbackChain``; fields, defaults and ranges are the same.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

AUTO_PROFILE = "auto"
"""The reserved ``default_profile`` value that hands profile choice to the auto router."""

ToolLoopAction = Literal["warn", "inject", "break"]
MemoryPressureAction = Literal["off", "warn", "skip"]
BackendHealthAction = Literal["off", "warn", "demote"]


class ProfileConfig(BaseModel):
    """A named chain; ``providers`` is the fallback order (names of declared providers).

    ``timeout_s`` replaces each provider's own timeout when set. ``append_system_prompt`` replaces the
    providers' directive when set, and ``""`` clears it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    providers: tuple[str, ...] = Field(min_length=1)
    timeout_s: float | None = Field(default=None, ge=1.0, le=600.0)
    append_system_prompt: str | None = None
    tool_loop_window: int = Field(default=5, ge=2, le=50)
    tool_loop_threshold: int = Field(default=3, ge=2, le=50)
    tool_loop_action: ToolLoopAction = "warn"
    memory_pressure_action: MemoryPressureAction = "warn"
    memory_pressure_cooldown_s: int = Field(default=120, ge=10, le=3600)
    backend_health_action: BackendHealthAction = "warn"
    backend_health_threshold: int = Field(default=3, ge=2, le=20)
    adaptive: bool = False

    @field_validator("name")
    @classmethod
    def _reject_reserved_name(cls, value: str) -> str:
        if value == AUTO_PROFILE:
            raise ValueError(f"'{AUTO_PROFILE}' is reserved for the auto router; choose another profile name")
        return value
