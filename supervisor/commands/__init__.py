"""The CLI's commands beside the process lifecycle: `budget`, `keys`, `stats`, `install-service`,
`doctor`, `state copy`, and the summary `check` prints."""

from __future__ import annotations

import click

# Modules, each named after its command: importing the command objects by name would shadow them.
from coderouter_supervisor.supervisor.commands import budget, doctor, install_service, keys, state, stats
from coderouter_supervisor.supervisor.commands.summary import render_summary, unset_key_warnings

COMMANDS: tuple[click.Command, ...] = (
    budget.budget,
    doctor.doctor,
    install_service.install_service,
    keys.keys,
    state.state,
    stats.stats,
)

__all__ = ["COMMANDS", "render_summary", "unset_key_warnings"]
