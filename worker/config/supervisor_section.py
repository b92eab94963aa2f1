"""The ``supervisor:`` section: the only place settings that coderouter-cli 1.10.1 lacks may live.

Every field is optional and ``None`` means "not set in the file": the supervisor decides the effective value
(command-line flag, then environment, then this section, then its own default), so this model carries no
defaults of its own. ``state`` is kept as written; ``~`` is expanded by whoever opens it.

``providers`` holds per-provider settings coderouter-cli has no key for, by provider name (each name must
be declared under ``providers:``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Claude Code sends long histories with screenshots; 32 MiB matches Anthropic's own request cap.
DEFAULT_MAX_BODY_MIB = 32
# A non-streamed answer (or one event of a stream) held in memory at once: a long completion is well
# under 1 MiB and a model listing a few; a 64 MiB answer, unbounded, cost a worker 316 MB of RSS.
DEFAULT_MAX_UPSTREAM_ANSWER_MIB = 16


class ProviderTuning(BaseModel):
    """``first_token_timeout_s``: a stream that has sent no content this long moves on to the next
    provider (pings keep the client waiting meanwhile); unset, a provider may take its whole ``timeout_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_token_timeout_s: float | None = Field(default=None, ge=1.0, le=600.0)


class SupervisorSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    admin_port: int | None = Field(default=None, ge=0, le=65535)
    workers: int | None = Field(default=None, ge=1, le=64)
    state: str | None = Field(default=None, min_length=1)
    # The environment variable holding the password of a postgresql:// state (else libpq's own
    # sources: the URL, PGPASSWORD, ~/.pgpass).
    state_password_env: str | None = Field(default=None, min_length=1)
    graceful_timeout_s: float | None = Field(default=None, ge=1.0, le=3600.0)
    events_path: str | None = Field(default=None, min_length=1)
    # "keys": client keys are required once any exists (the default); "none": never, even off loopback.
    auth: Literal["keys", "none"] | None = None
    # Admin pages (metrics, status, dashboard) ask loopback callers for an admin key too.
    admin_requires_key: bool | None = None
    # Largest request body, in MiB (413 past it); unset: DEFAULT_MAX_BODY_MIB.
    max_body_mib: int | None = Field(default=None, ge=1, le=1024)
    # Largest upstream answer read into memory, in MiB (a failed attempt, 502, past it); unset:
    # DEFAULT_MAX_UPSTREAM_ANSWER_MIB. Bounds one event of a streamed answer too.
    max_upstream_answer_mib: int | None = Field(default=None, ge=1, le=1024)
    # How often telemetry is written: "low_write" (implied on a Raspberry Pi) spares an SD card.
    profile: Literal["default", "low_write"] | None = None
    providers: dict[str, ProviderTuning] = Field(default_factory=dict)
