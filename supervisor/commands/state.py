"""`coderouter-supervisor state copy`: move a gateway's ledgers, keys and health to another store,
a SQLite file to PostgreSQL (one box becoming several) or back.

Copy with the gateways stopped: what a running one settles after the read is not copied.
"""

from __future__ import annotations

import click

from coderouter_supervisor.state import (
    PortableState,
    SchemaMismatch,
    StateError,
    StateLocation,
    shown_location,
    state_admin,
    state_file,
)
from coderouter_supervisor.supervisor.cli_support import EXIT_FAILURE, EXIT_INVALID, fail, require_state


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def describe_portable(portable: PortableState) -> str:
    """What ``portable`` holds, in a few words: ledger entries over months, keys, health records."""
    months = len({entry.month for entry in portable.ledgers})
    revoked = sum(not key.active for key in portable.keys)
    return (
        f"{_count(len(portable.ledgers), 'ledger entry', 'ledger entries')}"
        f" ({_count(months, 'month', 'months')}), {_count(len(portable.keys), 'client key', 'client keys')}"
        f" ({revoked} revoked), {_count(len(portable.health), 'health record', 'health records')}"
    )


def _location(given: str) -> StateLocation:
    try:
        return state_file(given) or given
    except StateError as exc:  # a URL of no backend's scheme
        fail(str(exc), EXIT_INVALID)
        raise AssertionError("unreachable") from exc


@click.group()
def state() -> None:
    """Operations on a whole state store."""


@state.command("copy")
@click.option("--from", "source", required=True, metavar="PATH_OR_URL", help="The store to copy from.")
@click.option("--to", "target", required=True, metavar="PATH_OR_URL", help="The store to copy into.")
@click.option("--force", is_flag=True, help="Replace what the target holds (its ledgers, keys and health).")
def copy(source: str, target: str, force: bool) -> None:
    """Copy ledgers (every month), client keys and provider health from one store to another.

    A SQLite file path or a postgresql:// URL on either side. The target is created or migrated as
    needed and must hold none of these unless --force. Stop the gateways using either store first."""
    origin, destination = _location(source), _location(target)
    shown_from, shown_to = shown_location(origin), shown_location(destination)
    if shown_from == shown_to:
        fail(f"--from and --to are the same store ({shown_from})", EXIT_INVALID)
    require_state(origin)
    try:
        for location in (origin, destination):
            state_admin(location).migrate()
        portable = state_admin(origin).read_portable()
        present = state_admin(destination).read_portable()
        if not present.empty and not force:
            fail(
                f"{shown_to} already holds {describe_portable(present)}; "
                "pass --force to replace them with the copy",
                EXIT_INVALID,
            )
        state_admin(destination).write_portable(portable)
    except SchemaMismatch as exc:
        fail(str(exc), EXIT_INVALID)
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)
    click.echo(f"copied {describe_portable(portable)} from {shown_from} to {shown_to}")
