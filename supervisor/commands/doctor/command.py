"""``coderouter-supervisor doctor``: probe each provider and check this machine, one line per check.

Exit status: 0 when every check is OK, 1 when the worst is a WARN, 2 on any FAIL (an unknown
``--provider`` or an invalid config is a 2 as well). Output names environment variables, never
their values: upstream messages have the key cut out, and the report is scrubbed of every key
once more before it is printed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import click

from coderouter_supervisor.state import sqlite_library_version, state_file
from coderouter_supervisor.supervisor.cli_support import (
    EXIT_FAILURE,
    EXIT_INVALID,
    config_option,
    fail,
    load,
    settings_for,
    state_option,
)
from coderouter_supervisor.supervisor.commands.doctor.box import (
    WriteRefusal,
    judge_bind,
    judge_free_disk,
    judge_python,
    judge_sqlite,
    judge_state_location,
)
from coderouter_supervisor.supervisor.commands.doctor.checks import judge_provider
from coderouter_supervisor.supervisor.commands.doctor.observe import observe_providers
from coderouter_supervisor.supervisor.commands.doctor.results import (
    CheckResult,
    Observed,
    render_section,
    render_summary,
    worst,
)
from coderouter_supervisor.supervisor.commands.doctor.state_server import check_state_server
from coderouter_supervisor.supervisor.lifecycle import (
    Refusal,
    SupervisorFlags,
    SupervisorSettings,
    auth_refusal,
    describe_protection,
    sqlite_has_wal_reset_bug,
)
from coderouter_supervisor.worker.config import ConfigError, LoadedConfig, ProviderConfig
from coderouter_supervisor.worker.ingress import is_loopback
from coderouter_supervisor.worker.providers import read_api_key
from coderouter_supervisor.worker.routing import can_think, load_registry
from coderouter_supervisor.worker.telemetry import write_policy

DEFAULT_PROBE_TIMEOUT_S = 15.0
_MOUNTS = Path("/proc/mounts")


def _selected(loaded: LoadedConfig, name: str | None) -> tuple[ProviderConfig, ...]:
    providers = loaded.config.providers
    if name is None:
        return providers
    chosen = tuple(p for p in providers if p.name == name)
    if not chosen:
        known = ", ".join(p.name for p in providers)
        fail(f"unknown provider {name!r}; the config declares: {known}", EXIT_INVALID)
    return chosen


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def _filesystem_type(path: Path) -> str | None:
    """The type of the mount holding ``path`` (Linux ``/proc/mounts``), or None when unknown."""
    try:
        lines = _MOUNTS.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and (best is None or len(mount) > best[0]):
            best = (len(mount), fields[2])
    return best[1] if best else None


# What one SQLite write may need beside the file (a WAL frame per page, the -shm index).
_PROBE_BYTES = 64 * 1024


def _refusal(path: Path, exc: OSError) -> WriteRefusal:
    return WriteRefusal(str(path), exc.errno or 0, exc.strerror or str(exc))


def _write_refusal(state: Path) -> WriteRefusal | None:
    """Try the writes the state file needs: open it for writing, and create and fill a file beside
    it (SQLite creates its ``-wal`` and ``-shm`` there). The probe file is removed again."""
    if state.exists():
        try:
            os.close(os.open(state, os.O_WRONLY | os.O_CLOEXEC))
        except OSError as exc:
            return _refusal(state, exc)
    probe = _existing_ancestor(state.parent) / f".{state.name}.doctor-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        return _refusal(probe.parent, exc)
    try:
        os.write(fd, b"\0" * _PROBE_BYTES)
    except OSError as exc:
        return _refusal(probe.parent, exc)
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)
    return None


def check_box(settings: SupervisorSettings, loaded: LoadedConfig) -> list[CheckResult]:
    section = loaded.config.supervisor
    return [
        judge_python((sys.version_info.major, sys.version_info.minor, sys.version_info.micro)),
        *_check_state(settings),
        judge_bind(
            settings.bind,
            loopback=is_loopback(settings.host),
            auth_off=section.auth == "none",
            refusal=_reason(auth_refusal(settings, section, waived=False)),
        ),
    ]


def _check_state(settings: SupervisorSettings) -> list[CheckResult]:
    state = state_file(settings.state_db)
    if state is None:
        return check_state_server(settings.state_db)
    version = sqlite_library_version()
    where = _existing_ancestor(state.parent)
    return [
        judge_sqlite(
            version,
            settings.workers,
            wal_reset_bug=sqlite_has_wal_reset_bug(version),
            protection=describe_protection(write_policy(settings.write_profile)),
        ),
        judge_state_location(str(state), _filesystem_type(where), _write_refusal(state)),
        judge_free_disk(str(where), shutil.disk_usage(where).free),
    ]


def _reason(refusal: Refusal | None) -> str | None:
    return None if refusal is None else refusal.reason


def _scrub(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _title(provider: ProviderConfig) -> str:
    return f"provider {provider.name} ({provider.kind}, model {provider.model}, {provider.base_url})"


def render_report(
    source: str,
    providers: Sequence[tuple[ProviderConfig, list[CheckResult]]],
    box: list[CheckResult],
) -> tuple[str, list[CheckResult]]:
    lines = [f"config {source}", ""]
    everything: list[CheckResult] = []
    for provider, results in providers:
        lines += [*render_section(_title(provider), results), ""]
        everything += results
    lines += render_section("this machine", box)
    everything += box
    lines += ["", render_summary(everything)]
    return "\n".join(lines), everything


@click.command()
@config_option
@state_option
@click.option("--provider", "provider_name", metavar="NAME", help="Probe only this provider.")
@click.option(
    "--timeout",
    type=click.FloatRange(1, 600),
    default=DEFAULT_PROBE_TIMEOUT_S,
    show_default=True,
    help="Seconds each probe may wait (the provider's timeout_s when shorter).",
)
def doctor(config: str | None, state: str | None, provider_name: str | None, timeout: float) -> None:
    """Probe each provider and check this machine (exit 0 all OK, 1 warnings, 2 failures)."""
    try:
        _, loaded = load(config)
        registry = load_registry(Path.home())
    except ConfigError as exc:
        fail(str(exc), EXIT_INVALID)
        return
    providers = _selected(loaded, provider_name)
    settings = settings_for(SupervisorFlags(state=state), loaded.config.supervisor)
    env = dict(os.environ)
    keys = {p.name: read_api_key(p, env) for p in providers}
    thinking = {p.name: can_think(p, registry) for p in providers}
    observed = asyncio.run(observe_providers(providers, keys, thinking, timeout_s=timeout))
    judged = [
        (
            p,
            judge_provider(
                p,
                keys[p.name] is not None,
                observed.get(p.name, Observed()),
                thinking_expected=thinking[p.name],
            ),
        )
        for p in providers
    ]
    report, results = render_report(loaded.source, judged, check_box(settings, loaded))
    click.echo(_scrub(report, keys.values()))
    verdict = worst(results)
    if verdict == "FAIL":
        sys.exit(EXIT_INVALID)
    if verdict == "WARN":
        sys.exit(EXIT_FAILURE)
