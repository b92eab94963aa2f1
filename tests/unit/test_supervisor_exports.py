"""What the supervisor's packages offer each other: the CLI imports these names, nothing private."""

from __future__ import annotations

import types

import pytest

from coderouter_supervisor.supervisor import commands, lifecycle
from coderouter_supervisor.supervisor.commands import doctor

from support.exports import public_names

PINNED = {
    lifecycle: {
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
    },
    commands: {"COMMANDS", "render_summary", "unset_key_warnings"},
    doctor: {"doctor"},
}


@pytest.mark.parametrize("package", list(PINNED), ids=lambda package: package.__name__.rsplit(".", 1)[-1])
def test_exports_are_pinned(package: types.ModuleType) -> None:
    assert set(package.__all__) == PINNED[package] == public_names(package)


def test_every_command_is_registered() -> None:
    names = {command.name for command in commands.COMMANDS}
    assert names == {"budget", "doctor", "install-service", "keys", "state", "stats"}
