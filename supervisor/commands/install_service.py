"""`coderouter-supervisor install-service`: a systemd unit for this install.

The shipped units (``etc/coderouter-supervisor*.service``) are system units with ``@COMMAND@`` where
the program goes. :func:`render_unit` is pure: template text and a :class:`UnitRequest` in, unit
text out (for a user unit it also drops what the user service manager cannot do). The command
around it finds the program, writes the file and prints how to enable it.
"""

from __future__ import annotations

import os
import pwd
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Literal

import click

from coderouter_supervisor.supervisor.cli_support import EXIT_FAILURE, EXIT_INVALID, fail, load
from coderouter_supervisor.worker.config import ConfigError

UnitScope = Literal["system", "user"]

PROGRAM = "coderouter-supervisor"
MODULE = "coderouter_supervisor.supervisor"
PLACEHOLDER = "@COMMAND@"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")

# A user unit runs under the user's own service manager: it cannot switch users, and the
# namespace sandboxing below would need unprivileged user namespaces; ProtectHome= would also
# hide this program, its config and its state, which all live in the user's home.
USER_DROPPED = frozenset(
    {
        "After",
        "Wants",
        "User",
        "Group",
        "CapabilityBoundingSet",
        "RemoveIPC",
        "ProtectSystem",
        "ProtectHome",
        "PrivateTmp",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectControlGroups",
        "ProtectClock",
        "ProtectHostname",
    }
)
# Directive -> (comment that replaces the template's, value or None to keep the template's).
_USER_BLOCKS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "EnvironmentFile": (
        (
            "# Provider API keys as KEY=value lines (ANTHROPIC_API_KEY=…, OPENROUTER_API_KEY=…);",
            "# keep it mode 0600. `-`: optional.",
        ),
        "-%h/.config/coderouter/env",
    ),
    "StateDirectory": (
        ("# Budgets, health and client keys live in ~/.local/state/coderouter (%S is $XDG_STATE_HOME).",),
        None,
    ),
    "NoNewPrivileges": (
        ("# Hardening a user service manager can apply (seccomp filters, no privilege gain).",),
        None,
    ),
    "WantedBy": ((), "default.target"),
}
# Where the system unit's sandbox hides files from the service.
_HIDDEN_TREES = (
    (PurePosixPath("/home"), "ProtectHome=yes"),
    (PurePosixPath("/root"), "ProtectHome=yes"),
    (PurePosixPath("/run/user"), "ProtectHome=yes"),
    (PurePosixPath("/tmp"), "PrivateTmp=yes"),  # noqa: S108 - a path compared, not a file opened
    (PurePosixPath("/var/tmp"), "PrivateTmp=yes"),  # noqa: S108
)


@dataclass(frozen=True)
class UnitRequest:
    """What to render: ``command`` is the absolute program (and its arguments) that runs the CLI;
    ``config`` an absolute providers.yaml passed as ``--config``, or None for the usual search."""

    scope: UnitScope
    single: bool
    command: tuple[str, ...]
    config: Path | None = None


def unit_name(single: bool) -> str:
    return f"{PROGRAM}-single.service" if single else f"{PROGRAM}.service"


def systemd_quote(arg: str) -> str:
    """One word of a systemd command line: ``%`` and ``$`` escaped, quoted when it has to be."""
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c in escaped for c in " \t\n\"'\\;"):
        return escaped
    inner = escaped.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{inner}"'


def _header(description: list[str], request: UnitRequest) -> list[str]:
    flags = "".join(
        flag for flag, on in ((" --user", request.scope == "user"), (" --single", request.single)) if on
    )
    lines = [
        *description,
        f"# Rendered by `{PROGRAM} install-service{flags}` from etc/{unit_name(request.single)}.",
    ]
    if request.scope == "user":
        lines += [
            "# A user unit: no User=/Group=, and none of the system unit's namespace sandboxing",
            "# (ProtectSystem=, ProtectHome=, PrivateTmp=, ProtectKernel*=, …), which would need",
            "# unprivileged user namespaces and would hide this program, its config and its state.",
        ]
    return lines


def _exec_start(value: str, request: UnitRequest) -> str:
    words = [systemd_quote(word) for word in request.command]
    rendered = value.replace(PLACEHOLDER, " ".join(words), 1)
    if request.config is not None:
        rendered += f" --config {systemd_quote(str(request.config))}"
    return rendered


def render_unit(template: str, request: UnitRequest) -> str:
    """The unit file for ``request``. Raises ``ValueError`` if the template has no ``ExecStart=``
    with the placeholder, or ``request.command`` does not start with an absolute path."""
    if not request.command or not request.command[0].startswith("/"):
        raise ValueError(f"the program must be an absolute path, got {request.command!r}")
    lines = template.splitlines()
    header_end = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    # The template's header: a description, a bare "#", then notes about the template itself.
    header = lines[:header_end]
    description = header[: header.index("#")] if "#" in header else header
    out = _header(description, request)
    pending: list[str] = []
    exec_seen = False
    for line in lines[header_end:]:
        if line.startswith("#"):
            pending.append(line)
            continue
        key, sep, value = line.partition("=")
        if not sep or line.startswith("["):
            out += [*pending, line]
            pending = []
            continue
        comment: list[str] = pending
        pending = []
        if request.scope == "user":
            if key in USER_DROPPED:
                continue
            if key in _USER_BLOCKS:
                new_comment, new_value = _USER_BLOCKS[key]
                comment = list(new_comment)
                value = value if new_value is None else new_value
        if key == "ExecStart" and PLACEHOLDER in value:
            value = _exec_start(value, request)
            exec_seen = True
        out += [*comment, f"{key}={value}"]
    out += pending
    if not exec_seen:
        raise ValueError(f"the template has no ExecStart= with {PLACEHOLDER}")
    text = "\n".join(out) + "\n"
    if PLACEHOLDER in text:
        raise ValueError(f"{PLACEHOLDER} left in the rendered unit")
    # A dropped block can leave two blank lines in a row.
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def unit_user(unit: str) -> str | None:
    """The ``User=`` a rendered unit runs as, if it names one."""
    for line in unit.splitlines():
        if line.startswith("User="):
            return line.removeprefix("User=").strip() or None
    return None


def enable_commands(scope: UnitScope, name: str) -> tuple[str, str]:
    systemctl = "systemctl --user" if scope == "user" else "systemctl"
    return f"{systemctl} daemon-reload", f"{systemctl} enable --now {name}"


def sandbox_warnings(paths: Iterable[PurePosixPath]) -> list[str]:
    """For a system unit: why each of ``paths`` (the program, its interpreter, the config) would be
    invisible to the service. Empty when all are visible."""
    warnings: list[str] = []
    for path in paths:
        for tree, directive in _HIDDEN_TREES:
            if path == tree or tree in path.parents:
                warnings.append(f"{path} is under {tree}, which the service cannot see ({directive})")
                break
    return list(dict.fromkeys(warnings))


def find_command(argv0: str, executable: str) -> tuple[str, ...]:
    """How this install is run: its console script (the one running, else the one beside the
    interpreter), else the interpreter with ``-m``. Absolute, symlinks kept (a venv needs its own)."""
    for candidate in (Path(argv0), Path(executable).parent / PROGRAM):
        if candidate.name == PROGRAM and candidate.is_file() and os.access(candidate, os.X_OK):
            return (str(candidate.absolute()),)
    return (str(Path(executable).absolute()), "-m", MODULE)


def user_unit_dir(env: dict[str, str], home: Path) -> Path:
    xdg = env.get("XDG_CONFIG_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".config"
    return base / "systemd" / "user"


def _account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _warn_hidden_from_sandbox(request: UnitRequest) -> None:
    """Say what a system unit's sandbox would hide, and the fix for each: the program is reinstalled,
    the config moved."""
    program = Path(request.command[0])
    for warning in sandbox_warnings(
        PurePosixPath(p) for p in (program, program.resolve(), Path(sys.executable).resolve())
    ):
        click.echo(
            f"warning: {warning}; install into /opt or /usr/local (python3 -m venv /opt/coderouter)",
            err=True,
        )
    for warning in sandbox_warnings([PurePosixPath(request.config)] if request.config else []):
        click.echo(
            f"warning: {warning}; move the config to /etc/coderouter/providers.yaml and pass that",
            err=True,
        )


@click.command("install-service")
@click.option(
    "--user", "user_unit", is_flag=True, help="A user unit (~/.config/systemd/user), no root needed."
)
@click.option("--single", is_flag=True, help="Single-worker mode (start --workers 1), for small machines.")
@click.option("--config", "config", metavar="PATH", help="providers.yaml the service runs (checked now).")
@click.option(
    "--output",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Write the unit here instead of the systemd directory.",
)
@click.option("--dry-run", is_flag=True, help="Print the unit instead of writing it.")
def install_service(
    user_unit: bool, single: bool, config: str | None, output: str | None, dry_run: bool
) -> None:
    """Write a systemd unit that runs this install, and say how to enable it."""
    if output is not None and dry_run:
        raise click.UsageError("--output and --dry-run exclude each other")
    config_path: Path | None = None
    if config is not None:
        try:
            load(config)
        except ConfigError as exc:
            fail(str(exc), EXIT_INVALID)
        config_path = Path(config).absolute()
    scope: UnitScope = "user" if user_unit else "system"
    request = UnitRequest(scope, single, find_command(sys.argv[0], sys.executable), config_path)
    name = unit_name(single)
    template = resources.files("coderouter_supervisor.etc").joinpath(name).read_text(encoding="utf-8")
    unit = render_unit(template, request)
    if scope == "system":
        _warn_hidden_from_sandbox(request)
    if dry_run:
        click.echo(unit, nl=False)
        return
    systemd_dir = user_unit_dir(dict(os.environ), Path.home()) if user_unit else SYSTEM_UNIT_DIR
    directory = Path(output) if output else systemd_dir
    target = directory.absolute() / name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(unit, encoding="utf-8")
    except OSError as exc:
        hint = "" if user_unit else "; run it as root (sudo), choose a directory with --output, or use --user"
        fail(f"cannot write {target}: {exc.strerror or exc}{hint}", EXIT_FAILURE)
    click.echo(f"wrote {target}")
    account = unit_user(unit)
    if account is not None and not _account_exists(account):
        click.echo("create the account it runs as:")
        click.echo(f"  useradd --system --home-dir /var/lib/coderouter --shell /usr/sbin/nologin {account}")
    click.echo("enable and start it:")
    if target.parent.resolve() != systemd_dir.resolve():
        # systemd reads units only from its own directories.
        click.echo(f"  install -D -m 0644 {target} {systemd_dir.absolute() / name}")
    for command in enable_commands(scope, name):
        click.echo(f"  {command}")
    if user_unit:
        click.echo(
            "provider keys: ~/.config/coderouter/env (KEY=value lines); state: ~/.local/state/coderouter"
        )
        click.echo("to keep it running while you are logged out: loginctl enable-linger")
    else:
        click.echo(
            "provider keys: /etc/coderouter/env (KEY=value lines, mode 0600); state: /var/lib/coderouter"
        )
