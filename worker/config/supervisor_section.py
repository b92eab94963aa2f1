"""The ``supervisor:`` section: the only place settings that coderouter-cli 1.10.1 lacks may live.

Every field is optional and ``None`` means "not set in the file": the supervisor decides the effective value
(command-line flag, then environment, then this section, then its own default), so this model carries no
defaults of its own. ``state`` is kept as written; ``~`` is expanded by whoever opens it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SupervisorSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    workers: int | None = Field(default=None, ge=1, le=64)
    state: str | None = Field(default=None, min_length=1)
    graceful_timeout_s: float | None = Field(default=None, ge=1.0, le=3600.0)
