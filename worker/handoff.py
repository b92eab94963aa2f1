"""What the supervisor hands each worker through the environment.

The supervisor validates the config, writes exactly the text it validated to a snapshot
file, and starts gunicorn with these variables; workers (and their replacements after a
reload) load only that snapshot, so a worker never meets a config nobody checked. The state's
location travels here rather than in argv: a PostgreSQL URL may carry a password, and a process's
environment, unlike its command line, is readable only by its own user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from coderouter_supervisor.state import StateLocation, state_file
from coderouter_supervisor.worker.telemetry import WriteProfile

CONFIG_SNAPSHOT_ENV = "CODEROUTER_CONFIG_SNAPSHOT"
CONFIG_SOURCE_ENV = "CODEROUTER_CONFIG_SOURCE"
STATE_DB_ENV = "CODEROUTER_STATE_DB"
BIND_HOST_ENV = "CODEROUTER_BIND_HOST"
WRITE_PROFILE_ENV = "CODEROUTER_WRITE_PROFILE"


@dataclass(frozen=True)
class WorkerHandoff:
    config_snapshot: Path
    config_source: str
    state_db: StateLocation
    bind_host: str = "127.0.0.1"
    write_profile: WriteProfile = "default"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WorkerHandoff:
        """Read the handoff; raises ``LookupError`` naming a missing variable."""
        missing = [name for name in (CONFIG_SNAPSHOT_ENV, STATE_DB_ENV) if not env.get(name)]
        if missing:
            raise LookupError(
                f"{', '.join(missing)} not set: workers are started by `coderouter-supervisor start`"
            )
        snapshot = Path(env[CONFIG_SNAPSHOT_ENV])
        return cls(
            config_snapshot=snapshot,
            config_source=env.get(CONFIG_SOURCE_ENV) or str(snapshot),
            state_db=state_file(env[STATE_DB_ENV]) or env[STATE_DB_ENV],
            bind_host=env.get(BIND_HOST_ENV) or "127.0.0.1",
            write_profile="low_write" if env.get(WRITE_PROFILE_ENV) == "low_write" else "default",
        )

    def to_env(self) -> dict[str, str]:
        return {
            CONFIG_SNAPSHOT_ENV: str(self.config_snapshot),
            CONFIG_SOURCE_ENV: self.config_source,
            STATE_DB_ENV: str(self.state_db),
            BIND_HOST_ENV: self.bind_host,
            WRITE_PROFILE_ENV: self.write_profile,
        }
