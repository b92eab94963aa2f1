"""The `coderouter-supervisor` command. Only this module decides exit codes.

Exit codes: 0 success; 1 runtime failure (not running, port taken, state file unusable);
2 invalid config or setting; `status` exits 3 when no instance is running (LSB).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import click

from coderouter_supervisor.state import (
    StateError,
    list_workers,
    migrate_state_file,
    sqlite_library_version,
)
from coderouter_supervisor.supervisor.admin_endpoint import ADMIN_HOST
from coderouter_supervisor.supervisor.budget_command import (
    budget_lines,
    check_month,
    render_budget,
    reset_provider,
)
from coderouter_supervisor.supervisor.instance import (
    InstanceFiles,
    remove_pid_file,
    running_supervisor_pid,
    write_pid_file,
)
from coderouter_supervisor.supervisor.keys_command import add_key, list_keys, render_keys, revoke
from coderouter_supervisor.supervisor.preflight import auth_refusal, port_problem, sqlite_has_wal_reset_bug
from coderouter_supervisor.supervisor.settings import (
    SettingError,
    SupervisorFlags,
    SupervisorSettings,
    resolve_settings,
)
from coderouter_supervisor.supervisor.stats_command import read_stats, render_stats
from coderouter_supervisor.supervisor.summary import render_summary
from coderouter_supervisor.supervisor.supervise import Supervision, run_supervisor
from coderouter_supervisor.worker.config import (
    CodeRouterConfig,
    ConfigError,
    LoadedConfig,
    SupervisorSection,
    find_config_file,
    load_config,
    parse_config,
)
from coderouter_supervisor.worker.routing import load_registry
from coderouter_supervisor.worker.telemetry import configure_event_log, emit_event, events_path
from coderouter_supervisor.worker.version import VERSION

F = TypeVar("F", bound=Callable[..., object])

EXIT_FAILURE = 1
EXIT_INVALID = 2
EXIT_NOT_RUNNING = 3


def _fail(message: str, code: int) -> None:
    click.echo(f"coderouter-supervisor: {message}", err=True)
    sys.exit(code)


def _validated(path: Path | None, env: dict[str, str]) -> LoadedConfig:
    """The config at ``path`` and the user's capability rules, both checked before any worker sees them."""
    loaded = load_config(path, env)
    load_registry(Path.home())
    return loaded


def _load(config: str | None) -> tuple[Path | None, LoadedConfig]:
    env = dict(os.environ)
    path = find_config_file(config, env, Path.cwd(), Path.home())
    return path, _validated(path, env)


def _settings(flags: SupervisorFlags, section: SupervisorSection) -> SupervisorSettings:
    try:
        return resolve_settings(flags, section, os.environ, Path.home())
    except SettingError as exc:
        _fail(str(exc), EXIT_INVALID)
        raise AssertionError("unreachable") from exc


def _instance(config: str | None, state: str | None) -> InstanceFiles:
    """Find an instance's files the way `start` would, tolerating a config that no longer loads."""
    try:
        section = _load(config)[1].config.supervisor
    except ConfigError:
        section = SupervisorSection()
    return InstanceFiles(_settings(SupervisorFlags(state=state), section).state_db)


config_option = click.option(
    "--config", "config", metavar="PATH", help="providers.yaml (default: search, then the embedded default)."
)
state_option = click.option(
    "--state", metavar="PATH", help="State database (default ~/.local/state/coderouter)."
)


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
    configure_event_log("supervisor")
    try:
        path, loaded = _load(config)
    except ConfigError as exc:
        _fail(str(exc), EXIT_INVALID)
        return
    mirror = events_path(os.environ, loaded.config.supervisor.events_path)
    try:
        configure_event_log("supervisor", mirror)
    except OSError as exc:
        _fail(f"cannot write the events file {mirror}: {exc.strerror or exc}", EXIT_FAILURE)
    flags = SupervisorFlags(host, port, workers, state, graceful_timeout, admin_port)
    settings = _settings(flags, loaded.config.supervisor)
    files = InstanceFiles(settings.state_db)
    running = running_supervisor_pid(files)
    if running is not None:
        _fail(f"already running (pid {running}) with state {settings.state_db}", EXIT_FAILURE)
    try:
        previous = migrate_state_file(settings.state_db)
    except StateError as exc:
        _fail(str(exc), EXIT_FAILURE)
    refusal = auth_refusal(settings, loaded.config.supervisor, insecure_no_auth)
    if refusal is not None:
        _fail(refusal, EXIT_FAILURE)
    version = sqlite_library_version()
    emit_event("state-ready", path=str(settings.state_db), sqlite=version, migrated_from=previous)
    if settings.workers > 1 and sqlite_has_wal_reset_bug(version):
        emit_event(
            "sqlite-wal-reset-bug",
            "warning",
            sqlite=version,
            hint="SQLite < 3.51.3 can corrupt WAL files written by several processes; "
            "use a Python linked to a newer SQLite or run --workers 1",
        )
    problem = port_problem(settings.host, settings.port)
    if problem is None and settings.admin_port:
        problem = port_problem(ADMIN_HOST, settings.admin_port)
        if problem is not None:
            problem = f"admin endpoint: {problem} (choose another with --admin-port, or 0 to turn it off)"
    if problem is not None:
        _fail(problem, EXIT_FAILURE)

    env = dict(os.environ)
    job = Supervision(settings, files, loaded, reload_config=lambda: _validated(path, env), env=env)
    write_pid_file(files)
    try:
        code = run_supervisor(job)
    finally:
        remove_pid_file(files)
    sys.exit(code)


@main.command()
@config_option
def check(config: str | None) -> None:
    """Validate a config without starting anything (exit 0 valid, 2 invalid)."""
    try:
        _, loaded = _load(config)
    except ConfigError as exc:
        _fail(str(exc), EXIT_INVALID)
        return
    click.echo(render_summary(loaded))


def _format_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


@main.command()
@config_option
@state_option
def status(config: str | None, state: str | None) -> None:
    """Show the running instance and its workers (exit 3 when not running)."""
    files = _instance(config, state)
    pid = running_supervisor_pid(files)
    if pid is None:
        click.echo(f"not running (state {files.state_db})")
        sys.exit(EXIT_NOT_RUNNING)
    now = time.time()
    try:
        workers = list_workers(files.state_db, now)
    except StateError as exc:
        _fail(str(exc), EXIT_FAILURE)
        return
    click.echo(f"running: supervisor pid {pid}, {len(workers)} workers alive, state {files.state_db}")
    click.echo(f"{'PID':>8}  {'STARTED':<20}  {'LAST SEEN':>9}  {'REQUESTS':>8}")
    for worker in workers:
        click.echo(
            f"{worker.pid:>8}  {_format_time(worker.started_at):<20}  "
            f"{now - worker.last_seen:>8.1f}s  {worker.requests:>8}"
        )


@main.command()
@config_option
@state_option
@click.option(
    "--timeout", type=click.FloatRange(0), default=660.0, show_default=True, help="Seconds to wait."
)
def stop(config: str | None, state: str | None, timeout: float) -> None:
    """Drain and stop the running instance (SIGTERM); waits until it has exited."""
    files = _instance(config, state)
    pid = running_supervisor_pid(files)
    if pid is None:
        click.echo(f"not running (state {files.state_db})")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running_supervisor_pid(files) is None:
            click.echo(f"stopped (pid {pid})")
            return
        time.sleep(0.1)
    _fail(f"pid {pid} still running after {timeout:g}s (streams still draining?)", EXIT_FAILURE)


@main.command()
@config_option
@state_option
def reload(config: str | None, state: str | None) -> None:
    """Re-read the config (SIGHUP): applied if valid, refused and logged if not."""
    files = _instance(config, state)
    pid = running_supervisor_pid(files)
    if pid is None:
        _fail(f"not running (state {files.state_db})", EXIT_FAILURE)
        return
    os.kill(pid, signal.SIGHUP)
    click.echo(f"reload requested (pid {pid}); the supervisor logs reload-accepted or reload-refused")


def _budget_context(config: str | None, state: str | None) -> tuple[CodeRouterConfig | None, Path]:
    """The caps to show (from ``--config``, else the config the instance last ran, else the search)
    and the state file; a config that no longer loads shows spend without caps."""
    files = _instance(config, state)
    try:
        if config is None and files.config_snapshot.exists():
            snapshot = files.config_snapshot
            return parse_config(
                snapshot.read_text(encoding="utf-8"), str(snapshot), os.environ
            ).config, files.state_db
        return _load(config)[1].config, files.state_db
    except (ConfigError, OSError):
        return None, files.state_db


@main.group(invoke_without_command=True)
@config_option
@state_option
@click.option("--month", metavar="YYYY-MM", help="Another UTC month (default: this one).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def budget(
    ctx: click.Context, config: str | None, state: str | None, month: str | None, as_json: bool
) -> None:
    """Spend, reservations and cap per provider for a UTC month."""
    if ctx.invoked_subcommand is not None:
        return
    loaded, state_db = _budget_context(config, state)
    chosen = check_month(month)
    if not state_db.exists():
        _fail(f"no state file at {state_db} (start the gateway once, or pass --state)", EXIT_FAILURE)
    try:
        lines = budget_lines(loaded, state_db, chosen)
    except StateError as exc:
        _fail(str(exc), EXIT_FAILURE)
        return
    click.echo(render_budget(lines, chosen, state_db, as_json=as_json))


@budget.command("reset")
@click.argument("provider")
@config_option
@state_option
@click.option("--month", metavar="YYYY-MM", help="Another UTC month (default: this one).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def budget_reset(provider: str, config: str | None, state: str | None, month: str | None, yes: bool) -> None:
    """Clear PROVIDER's spend and reservations for the month (asks first)."""
    _, state_db = _budget_context(config, state)
    click.echo(reset_provider(state_db, provider, check_month(month), confirmed=yes))


@main.command()
@config_option
@state_option
@click.option("--watch", is_flag=True, help="Redraw every 2 seconds until Ctrl-C.")
@click.option("--json", "as_json", is_flag=True, help="The same aggregate as /metrics.json.")
def stats(config: str | None, state: str | None, watch: bool, as_json: bool) -> None:
    """Requests, providers, latency, spend and chains, summed over every worker."""
    loaded, state_db = _budget_context(config, state)
    if loaded is None:
        _fail("no config to name the providers (pass --config)", EXIT_INVALID)
        return
    if not state_db.exists():
        _fail(f"no state file at {state_db} (start the gateway once, or pass --state)", EXIT_FAILURE)
    while True:
        try:
            current = read_stats(state_db, loaded)
        except StateError as exc:
            _fail(str(exc), EXIT_FAILURE)
            return
        output = json.dumps(current, indent=2) if as_json else render_stats(current)
        if not watch:
            click.echo(output)
            return
        click.clear()
        click.echo(output)
        try:
            time.sleep(2)
        except KeyboardInterrupt:
            return


@main.group()
def keys() -> None:
    """Client keys of a team gateway (stored hashed in the state file)."""


@keys.command("add")
@click.argument("name")
@config_option
@state_option
@click.option("--monthly-budget-usd", type=click.FloatRange(0), help="Cap this key's spend per UTC month.")
@click.option("--profiles", metavar="A,B", help="Only these profiles (default: all).")
@click.option("--admin", is_flag=True, help="May also read /metrics, /status and /dashboard from the LAN.")
def keys_add(
    name: str,
    config: str | None,
    state: str | None,
    monthly_budget_usd: float | None,
    profiles: str | None,
    admin: bool,
) -> None:
    """Create a key for NAME and print it once."""
    files = _instance(config, state)
    try:
        migrate_state_file(files.state_db)
        chosen = tuple(p.strip() for p in profiles.split(",") if p.strip()) if profiles else None
        key = add_key(files.state_db, name, budget=monthly_budget_usd, profiles=chosen, admin=admin)
    except StateError as exc:
        _fail(str(exc), EXIT_FAILURE)
        return
    click.echo(key)
    click.echo(
        f"key for {name}: shown only now, store it safely; give it as ANTHROPIC_API_KEY or api_key", err=True
    )


@keys.command("list")
@config_option
@state_option
def keys_list(config: str | None, state: str | None) -> None:
    """Every key's name, state and limits (never the keys)."""
    files = _instance(config, state)
    if not files.state_db.exists():
        click.echo(render_keys([]))
        return
    try:
        click.echo(list_keys(files.state_db))
    except StateError as exc:
        _fail(str(exc), EXIT_FAILURE)


@keys.command("revoke")
@click.argument("name")
@config_option
@state_option
def keys_revoke(name: str, config: str | None, state: str | None) -> None:
    """Disable NAME's key at once, on every worker."""
    files = _instance(config, state)
    try:
        click.echo(revoke(files.state_db, name))
    except StateError as exc:
        _fail(str(exc), EXIT_FAILURE)
