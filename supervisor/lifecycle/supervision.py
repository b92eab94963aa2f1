"""What one run of the supervisor serves: its settings, files and the config its workers run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from coderouter_supervisor.supervisor.lifecycle.instance import InstanceFiles, write_atomically
from coderouter_supervisor.supervisor.lifecycle.settings import SupervisorSettings
from coderouter_supervisor.worker.config import LoadedConfig
from coderouter_supervisor.worker.handoff import WorkerHandoff
from coderouter_supervisor.worker.routing import CapabilityRegistry


@dataclass
class Supervision:
    settings: SupervisorSettings
    files: InstanceFiles
    config: LoadedConfig
    reload_config: Callable[[], LoadedConfig]
    env: Mapping[str, str]
    # The capability rules the workers run with, besides ``config``; None until known.
    capabilities: CapabilityRegistry | None = None


def worker_handoff(job: Supervision) -> WorkerHandoff:
    """What the gateway is told besides its config (see :mod:`...worker.handoff`)."""
    settings = job.settings
    return WorkerHandoff(
        job.files.config_snapshot, job.config.source, settings.state_db, settings.host, settings.write_profile
    )


def publish_config(files: InstanceFiles, config: LoadedConfig) -> None:
    """Write the validated text where workers load it from."""
    write_atomically(files.config_snapshot, config.text)
