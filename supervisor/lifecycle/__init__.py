"""Process lifecycle: settings and preflight checks, the instance's files, the one signal loop and
the two ways of serving it drives (a gunicorn arbiter, or this process), reloads, WAL checkpoints and
the supervisor's own endpoint."""

from __future__ import annotations

from coderouter_supervisor.supervisor.lifecycle.admin_endpoint import ADMIN_HOST
from coderouter_supervisor.supervisor.lifecycle.arbiter import ArbiterServing
from coderouter_supervisor.supervisor.lifecycle.instance import (
    InstanceFiles,
    register_instance,
    registered_instance,
    remove_pid_file,
    running_supervisor_pid,
    sole_running_sibling,
    write_pid_file,
)
from coderouter_supervisor.supervisor.lifecycle.preflight import (
    Refusal,
    auth_refusal,
    keys_required_notice,
    open_to_anyone,
    port_problem,
    sqlite_has_wal_reset_bug,
)
from coderouter_supervisor.supervisor.lifecycle.reload_outcome import read_reload_outcome
from coderouter_supervisor.supervisor.lifecycle.settings import (
    SettingError,
    SupervisorFlags,
    SupervisorSettings,
    resolve_settings,
)
from coderouter_supervisor.supervisor.lifecycle.signal_loop import Serving, run_supervisor
from coderouter_supervisor.supervisor.lifecycle.single_process import InProcessServing
from coderouter_supervisor.supervisor.lifecycle.supervision import Supervision
from coderouter_supervisor.supervisor.lifecycle.wal_keeper import describe_protection

__all__ = [
    "ADMIN_HOST",
    "ArbiterServing",
    "InProcessServing",
    "InstanceFiles",
    "Refusal",
    "Serving",
    "SettingError",
    "Supervision",
    "SupervisorFlags",
    "SupervisorSettings",
    "auth_refusal",
    "describe_protection",
    "keys_required_notice",
    "open_to_anyone",
    "port_problem",
    "read_reload_outcome",
    "register_instance",
    "registered_instance",
    "remove_pid_file",
    "resolve_settings",
    "run_supervisor",
    "running_supervisor_pid",
    "sole_running_sibling",
    "sqlite_has_wal_reset_bug",
    "write_pid_file",
]
