"""SIGHUP: validate the config again and hand it to the workers only if it loads and differs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from coderouter_supervisor.supervisor.lifecycle.reload_outcome import record_reload_outcome
from coderouter_supervisor.supervisor.lifecycle.supervision import Supervision, publish_config
from coderouter_supervisor.worker.config import ConfigError, LoadedConfig, SupervisorSection
from coderouter_supervisor.worker.routing import CapabilityRegistry, load_registry
from coderouter_supervisor.worker.telemetry import emit_event


def reload_validated(job: Supervision, apply: Callable[[LoadedConfig], None]) -> LoadedConfig:
    """Validate the config again; publish and ``apply`` it only if it loads. Returns the active one."""
    try:
        fresh = job.reload_config()
        capabilities = load_registry(Path.home())
    except ConfigError as exc:
        emit_event("reload-refused", "error", error=str(exc), keeping=job.config.digest)
        record_reload_outcome(job.files, "refused", job.config.digest, str(exc))
        return job.config
    if _runs_already(job, fresh, capabilities):
        # Rolling every worker for nothing would cut their streams at graceful_timeout.
        emit_event("reload-unchanged", config=fresh.digest)
        record_reload_outcome(job.files, "unchanged", fresh.digest)
        return job.config
    # Per-provider tuning and the body limit are read by the workers, so a reload applies them;
    # the rest needs a restart.
    if _process_settings(fresh) != _process_settings(job.config):
        emit_event(
            "reload-supervisor-section-ignored", "warning", hint="restart to apply supervisor: changes"
        )
    try:
        publish_config(job.files, fresh)
    except OSError as exc:  # the state directory is full or read-only: workers keep the old snapshot
        error = f"cannot write {job.files.config_snapshot}: {exc.strerror or exc}"
        emit_event("reload-refused", "error", error=error, keeping=job.config.digest)
        record_reload_outcome(job.files, "refused", job.config.digest, error)
        return job.config
    apply(fresh)
    job.capabilities = capabilities
    emit_event("reload-accepted", config=fresh.digest, previous=job.config.digest)
    record_reload_outcome(job.files, "accepted", fresh.digest)
    return fresh


def _runs_already(job: Supervision, fresh: LoadedConfig, capabilities: CapabilityRegistry) -> bool:
    """Whether the workers already run ``fresh`` (same text from the same file) and ``capabilities``."""
    return (
        job.capabilities is not None
        and capabilities.rules == job.capabilities.rules
        and (fresh.digest, fresh.source) == (job.config.digest, job.config.source)
    )


def _process_settings(loaded: LoadedConfig) -> SupervisorSection:
    # The request and upstream answer limits are read by the workers too.
    return loaded.config.supervisor.model_copy(
        update={"providers": {}, "max_body_mib": None, "max_upstream_answer_mib": None}
    )
