"""The `coderouter-supervisor` command. Only this module decides exit codes.

Exit codes: 0 success; 1 runtime failure that may pass (not running, so `stop` stopped nothing;
port taken; state file unusable); 2 what no restart can fix (invalid config or setting, a refused
`reload`, a public bind without client keys, a state file of a newer version); `status` exits 3
when no instance is running (LSB); `doctor` exits 1 when its worst check is a WARN and 2 on any
FAIL.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click

from coderouter_supervisor.state import (
    SchemaMismatch,
    StateError,
    StateLocation,
    sqlite_library_version,
    state_admin,
    state_file,
)
from coderouter_supervisor.supervisor.cli_support import (
    EXIT_FAILURE,
    EXIT_INVALID,
    EXIT_NOT_RUNNING,
    config_option,
    fail,
    instance_files,
    instance_registry,
    load,
    settings_for,
    state_option,
    validated,
)
from coderouter_supervisor.supervisor.commands import COMMANDS, render_summary, unset_key_warnings
from coderouter_supervisor.supervisor.lifecycle import (
    ADMIN_HOST,
    ArbiterServing,
    InProcessServing,
    InstanceFiles,
    Refusal,
    Supervision,
    SupervisorFlags,
    SupervisorSettings,
    auth_refusal,
    describe_protection,
    keys_required_notice,
    open_to_anyone,
    port_problem,
    read_reload_outcome,
    register_instance,
    remove_pid_file,
    run_supervisor,
    running_supervisor_pid,
    sqlite_has_wal_reset_bug,
    write_pid_file,
)
from coderouter_supervisor.worker.config import (
    ConfigError,
    SupervisorSection,
)
from coderouter_supervisor.worker.routing import load_registry
from coderouter_supervisor.worker.telemetry import configure_event_log, emit_event, events_path, write_policy
from coderouter_supervisor.worker.version import VERSION


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, prog_name="coderouter-supervisor")
def main() -> None:
    """Self-hosted LLM gateway for coding agents."""


@main.command()
@config_option
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default: cores, at most 4).")
@click.option("--host", help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to bind (default 8088).")
@click.option(
    "--admin-port",
    type=click.IntRange(0, 65535),
    help="Loopback port of the supervisor's /metrics and /status (default: port + 1; 0: off).",
)
@state_option
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Serve a non-loopback address without client keys (anyone who reaches it spends your keys).",
)
@click.option(
    "--graceful-timeout",
    type=click.FloatRange(1, 3600),
    help="Seconds in-flight streams may run on stop or reload (default 600).",
)
def start(
    config: str | None,
    workers: int | None,
    host: str | None,
    port: int | None,
    admin_port: int | None,
    state: str | None,
    insecure_no_auth: bool,
    graceful_timeout: float | None,
) -> None:
    """Start the gateway in the foreground (systemd-friendly)."""
    try:
        configure_event_log("supervisor")
    except ValueError as exc:  # the log level setting, checked before any worker inherits it
        fail(str(exc), EXIT_INVALID)
    try:
        path, loaded = load(config)
        capabilities = load_registry(Path.home())
    except ConfigError as exc:
        fail(str(exc), EXIT_INVALID)
        return
    mirror = events_path(os.environ, loaded.config.supervisor.events_path)
    try:
        configure_event_log("supervisor", mirror)
    except OSError as exc:
        fail(f"cannot write the events file {mirror}: {exc.strerror or exc}", EXIT_FAILURE)
    flags = SupervisorFlags(host, port, workers, state, graceful_timeout, admin_port)
    settings = settings_for(flags, loaded.config.supervisor)
    files = InstanceFiles.of(settings)
    running = running_supervisor_pid(files)
    if running is not None:
        fail(f"already running (pid {running}) with state {settings.state_shown}", EXIT_FAILURE)
    prepare_state(settings)
    check_auth(settings, loaded.config.supervisor, insecure_no_auth)
    if (notice := keys_required_notice(settings, loaded.config.supervisor)) is not None:
        emit_event("client-keys-required", "warning", **notice)
    problem = port_problem(settings.host, settings.port)
    if problem is None and settings.admin_port:
        problem = port_problem(ADMIN_HOST, settings.admin_port)
        if problem is not None:
            hint = "choose another with --admin-port, or 0 to turn it off"
            problem = replace(problem, reason=f"admin endpoint: {problem.reason} ({hint})")
    if problem is not None:
        refuse(problem)
    forget_gone_workers(settings.state_db)

    env = dict(os.environ)
    job = Supervision(
        settings, files, loaded, lambda: validated(path, env), env=env, capabilities=capabilities
    )
    try:
        files.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        fail(f"cannot create the instance directory {files.directory}: {exc.strerror or exc}", EXIT_FAILURE)
    write_pid_file(files)
    if path is not None:
        register_instance(instance_registry(), path, files)
    try:
        # One worker needs no arbiter: the gateway runs in this process (half the memory).
        code = run_supervisor(job, InProcessServing() if settings.workers == 1 else ArbiterServing())
    finally:
        remove_pid_file(files)
    sys.exit(code)


def prepare_state(settings: SupervisorSettings) -> None:
    """Migrate the state before any worker starts (boxes sharing a server do so under an advisory
    lock) and say what it is; exits when it cannot be used."""
    try:
        admin = state_admin(settings.state_db)
        previous = admin.migrate()
        store = admin.describe()
    except SchemaMismatch as exc:  # a newer install's store: no restart can read it
        fail(str(exc), EXIT_INVALID)
        return
    except StateError as exc:  # a full disk, a lock or a server restarting may pass: systemd tries again
        fail(str(exc), EXIT_FAILURE)
        return
    if state_file(settings.state_db) is None:
        emit_event(
            "state-ready",
            path=settings.state_shown,
            backend=store.kind,
            server=store.engine_version,
            migrated_from=previous,
        )
        return
    version = sqlite_library_version()
    emit_event(
        "state-ready",
        path=settings.state_shown,
        sqlite=version,
        migrated_from=previous,
        wal_reset_bug=sqlite_has_wal_reset_bug(version),
        wal_checkpoints=describe_protection(write_policy(settings.write_profile)),
    )


def check_auth(settings: SupervisorSettings, section: SupervisorSection, insecure_no_auth: bool) -> None:
    """Refuse a bind beyond loopback that asks nobody for a key; warn when one was allowed anyway."""
    refusal = auth_refusal(settings, section, insecure_no_auth)
    if refusal is not None:
        refuse(refusal)
    if open_to_anyone(settings, section, insecure_no_auth):
        emit_event(
            "auth-off-beyond-loopback",
            "warning",
            bind=settings.bind,
            hint="anyone who reaches this address can spend your provider keys; add a client key",
        )


def refuse(refusal: Refusal) -> None:
    # Exit 2 only when no restart can lift it: the systemd units restart on anything else.
    fail(refusal.reason, EXIT_INVALID if refusal.lasting else EXIT_FAILURE)


def forget_gone_workers(state_db: StateLocation) -> None:
    """Mark exited the workers a previous run left behind whose processes are gone (an arbiter
    killed with its workers never saw them exit), so `status` and budget holds stop waiting on them."""
    try:
        gone = state_admin(state_db).mark_gone_workers(time.time())
    except StateError as exc:
        emit_event("state-unavailable", "warning", operation="mark gone workers", error=str(exc))
        return
    if gone:
        emit_event("workers-gone", pids=[w.pid for w in gone])


@main.command()
@config_option
def check(config: str | None) -> None:
    """Validate a config without starting anything (exit 0 valid, 2 invalid)."""
    try:
        _, loaded = load(config)
    except ConfigError as exc:
        fail(str(exc), EXIT_INVALID)
        return
    click.echo(render_summary(loaded))
    for warning in unset_key_warnings(loaded.config, os.environ):
        click.echo(warning, err=True)


def _format_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@main.command()
@config_option
@state_option
def status(config: str | None, state: str | None) -> None:
    """Show the running instance and its workers (exit 3 when not running)."""
    files = instance_files(config, state)
    pid = running_supervisor_pid(files)
    if pid is None:
        click.echo(f"not running (state {files.state_shown})")
        sys.exit(EXIT_NOT_RUNNING)
    now = time.time()
    try:
        workers = state_admin(files.state_db).list_workers(now)
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)
        return
    click.echo(f"running: supervisor pid {pid}, {len(workers)} workers alive, state {files.state_shown}")
    # A shared store lists every box's workers; each pid means something only on its own box.
    boxes = any(worker.box is not None for worker in workers)
    click.echo(f"{'PID':>8}  {'STARTED':<20}  {'LAST SEEN':>9}  {'REQUESTS':>8}" + ("  BOX" if boxes else ""))
    for worker in workers:
        click.echo(
            f"{worker.pid:>8}  {_format_time(worker.started_at):<20}  "
            f"{now - worker.last_seen:>8.1f}s  {worker.requests:>8}" + (f"  {worker.box}" if boxes else "")
        )


@main.command()
@config_option
@state_option
@click.option(
    "--timeout", type=click.FloatRange(0), default=660.0, show_default=True, help="Seconds to wait."
)
def stop(config: str | None, state: str | None, timeout: float) -> None:
    """Drain and stop the running instance (SIGTERM); waits until it has exited."""
    files = instance_files(config, state)
    pid = running_supervisor_pid(files)
    if pid is None:
        fail(f"not running (state {files.state_shown}); nothing was stopped", EXIT_FAILURE)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_supervisor_pid(files) is None:
            click.echo(f"stopped (pid {pid})")
            return
        time.sleep(0.1)
    fail(f"pid {pid} still running after {timeout:g}s (streams still draining?)", EXIT_FAILURE)


@main.command()
@config_option
@state_option
@click.option(
    "--timeout",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the answer.",
)
def reload(config: str | None, state: str | None, timeout: float) -> None:
    """Re-read the config (SIGHUP) and say whether it was applied (exit 0) or refused and why (exit 2)."""
    files = instance_files(config, state)
    pid = running_supervisor_pid(files)
    if pid is None:
        fail(f"not running (state {files.state_shown})", EXIT_FAILURE)
        return
    before = read_reload_outcome(files.reload_outcome)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        outcome = read_reload_outcome(files.reload_outcome)
        if outcome is not None and outcome != before:
            if outcome.result == "refused":
                fail(f"reload refused, still serving config {outcome.config}: {outcome.reason}", EXIT_INVALID)
            click.echo(f"reload {outcome.result} (pid {pid}): serving config {outcome.config}")
            return
        time.sleep(0.1)
    fail(
        f"pid {pid} gave no answer within {timeout:g}s; its log says reload-accepted or reload-refused",
        EXIT_FAILURE,
    )


for command in COMMANDS:
    main.add_command(command)
