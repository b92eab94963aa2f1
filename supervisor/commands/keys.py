"""``coderouter-supervisor keys add | list | set | revoke``: the client keys of a team gateway."""

from __future__ import annotations

import re
import secrets
import time

import click

from coderouter_supervisor.state import (
    ClientKey,
    KeySetting,
    KeyValue,
    LedgerEntry,
    StateError,
    StateLocation,
    state_admin,
)
from coderouter_supervisor.supervisor.cli_support import (
    EXIT_FAILURE,
    config_option,
    fail,
    instance_files,
    state_missing,
    state_option,
)
from coderouter_supervisor.worker.ingress import key_hash
from coderouter_supervisor.worker.money import KEY_LEDGER_PREFIX, month_key
from coderouter_supervisor.worker.telemetry import project_month

KEY_PREFIX = "crs-"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


KEYS_NOW_REQUIRED = (
    "note: with a client key stored, every request needs one, from 127.0.0.1 too: "
    "an agent that sent any string (ANTHROPIC_API_KEY=anything) now gets 401 until given a key"
)


def new_key() -> str:
    """A fresh client key: the prefix and 192 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise click.BadParameter(
            f"{name!r}: use letters, digits and . _ @ - (up to 64), starting with a letter or digit",
            param_hint="NAME",
        )
    return name


def add_key(
    state_db: StateLocation,
    name: str,
    *,
    budget: float | None,
    profiles: tuple[str, ...] | None,
    admin: bool,
    max_concurrent: int | None = None,
    requests_per_minute: int | None = None,
) -> str:
    """Store a new key named ``name``; returns the key, which is shown once and never again."""
    key = new_key()
    state_admin(state_db).add_key(
        ClientKey(
            check_name(name),
            key_hash(key),
            time.time(),
            budget,
            profiles,
            admin,
            max_concurrent=max_concurrent,
            requests_per_minute=requests_per_minute,
        ),
    )
    return key


def parse_limit(text: str, option: str) -> int | None:
    """A limit given to ``keys set``: a positive whole number, or ``none`` to lift it."""
    if text.strip().lower() == "none":
        return None
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise click.BadParameter(f"{text!r}: give a positive whole number, or 'none'", param_hint=option)
    return number


def parse_budget(text: str) -> float | None:
    """A monthly budget given to ``keys set``: dollars (0 or more), or ``none`` to lift it."""
    if text.strip().lower() == "none":
        return None
    try:
        dollars = float(text)
    except ValueError:
        dollars = -1.0
    if not 0 <= dollars < float("inf"):
        raise click.BadParameter(
            f"{text!r}: give dollars (0 or more), or 'none'", param_hint="--monthly-budget-usd"
        )
    return dollars


def parse_profiles(text: str, allow_all: bool) -> tuple[str, ...] | None:
    """``A,B`` as profile names; ``all`` (for ``keys set``) allows every profile again."""
    if allow_all and text.strip().lower() == "all":
        return None
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if not names:
        hint = "give profile names as A,B" + (", or 'all'" if allow_all else "")
        raise click.BadParameter(f"{text!r}: {hint}", param_hint="--profiles")
    return names


def _dollars(value: float) -> str:
    # A key's budget can be a tenth of a cent: show it as given, not rounded to cents.
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _limit(value: int | None) -> str:
    return "-" if value is None else str(value)


def render_keys(keys: list[ClientKey], usage: dict[str, LedgerEntry] | None = None, month: str = "") -> str:
    """A table of ``keys`` with this month's usage (``usage`` by key name)."""
    if not keys:
        return "no client keys (the gateway accepts any caller on loopback)"
    usage = usage or {}
    rows = [
        (
            "NAME",
            "STATE",
            "BUDGET/MONTH",
            "SPENT",
            "REQUESTS",
            "TOKENS",
            "PROFILES",
            "ADMIN",
            "CREATED",
            "CONCURRENT",
            "REQ/MIN",
        )
    ]
    for key in keys:
        used = usage.get(key.name, LedgerEntry(key.name, month))
        rows.append(
            (
                key.name,
                "active" if key.active else "revoked",
                "-" if key.monthly_budget_usd is None else _dollars(key.monthly_budget_usd),
                f"{used.spent_usd:.4f}",
                str(used.requests),
                str(used.input_tokens + used.output_tokens),
                "all" if key.profiles is None else ",".join(key.profiles),
                "yes" if key.admin else "no",
                time.strftime("%Y-%m-%d %H:%MZ", time.gmtime(key.created_at)),
                _limit(key.max_concurrent),
                _limit(key.requests_per_minute),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def revoke(state_db: StateLocation, name: str) -> str:
    if not state_admin(state_db).revoke_key(name, time.time()):
        raise click.ClickException(f"no active key named {name!r} (see `coderouter-supervisor keys list`)")
    return f"revoked {name}: every worker refuses it within a second"


def render_projections(keys: list[ClientKey], usage: dict[str, LedgerEntry], now: float) -> str:
    """Where each active key with a budget or spend is heading by the month's end."""
    lines = [
        "  "
        + project_month(
            key.name, usage[key.name].spent_usd if key.name in usage else 0.0, key.monthly_budget_usd, now
        ).sentence
        for key in keys
        if key.active and (key.monthly_budget_usd is not None or key.name in usage)
    ]
    return "\n".join(["", "this month's projection:", *lines]) if lines else ""


def list_keys(state_db: StateLocation) -> str:
    now = time.time()
    month = month_key(now)
    usage = {
        entry.provider.removeprefix(KEY_LEDGER_PREFIX): entry
        for entry in state_admin(state_db).read_ledger(month)
        if entry.provider.startswith(KEY_LEDGER_PREFIX)
    }
    keys = state_admin(state_db).read_keys()
    return (
        f"keys, with usage in {month} (UTC):\n"
        + render_keys(keys, usage, month)
        + render_projections(keys, usage, now)
    )


@click.group()
def keys() -> None:
    """Client keys of a team gateway (stored hashed in the state file)."""


@keys.command("add")
@click.argument("name")
@config_option
@state_option
@click.option("--monthly-budget-usd", type=click.FloatRange(0), help="Cap this key's spend per UTC month.")
@click.option("--profiles", metavar="A,B", help="Only these profiles (default: all).")
@click.option("--admin", is_flag=True, help="May also read /metrics, /status and /dashboard from the LAN.")
@click.option("--max-concurrent", type=click.IntRange(1), help="At most N requests of this key in flight.")
@click.option("--requests-per-minute", type=click.IntRange(1), help="At most N requests in any 60 s.")
def keys_add(
    name: str,
    config: str | None,
    state: str | None,
    monthly_budget_usd: float | None,
    profiles: str | None,
    admin: bool,
    max_concurrent: int | None,
    requests_per_minute: int | None,
) -> None:
    """Create a key for NAME and print it once."""
    files = instance_files(config, state)
    try:
        state_admin(files.state_db).migrate()
        chosen = parse_profiles(profiles, allow_all=False) if profiles else None
        key = add_key(
            files.state_db,
            name,
            budget=monthly_budget_usd,
            profiles=chosen,
            admin=admin,
            max_concurrent=max_concurrent,
            requests_per_minute=requests_per_minute,
        )
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)
        return
    click.echo(key)
    click.echo(
        f"key for {name}: shown only now, store it safely; give it as ANTHROPIC_API_KEY or api_key", err=True
    )
    click.echo(KEYS_NOW_REQUIRED, err=True)


@keys.command("list")
@config_option
@state_option
def keys_list(config: str | None, state: str | None) -> None:
    """Every key's name, state and limits (never the keys)."""
    files = instance_files(config, state)
    if state_missing(files.state_db):
        click.echo(render_keys([]))
        return
    try:
        click.echo(list_keys(files.state_db))
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)


@keys.command("set")
@click.argument("name")
@config_option
@state_option
@click.option("--max-concurrent", metavar="N|none", help="At most N requests in flight ('none' lifts it).")
@click.option(
    "--requests-per-minute", metavar="N|none", help="At most N requests in any 60 s ('none': no limit)."
)
@click.option(
    "--monthly-budget-usd", metavar="USD|none", help="Cap this key's spend per UTC month ('none' lifts it)."
)
@click.option("--profiles", metavar="A,B|all", help="Only these profiles ('all': every profile).")
def keys_set(
    name: str,
    config: str | None,
    state: str | None,
    max_concurrent: str | None,
    requests_per_minute: str | None,
    monthly_budget_usd: str | None,
    profiles: str | None,
) -> None:
    """Change NAME's limits, budget or profiles; every worker applies them within a second."""
    given: dict[KeySetting, KeyValue] = {}
    if max_concurrent is not None:
        given["max_concurrent"] = parse_limit(max_concurrent, "--max-concurrent")
    if requests_per_minute is not None:
        given["requests_per_minute"] = parse_limit(requests_per_minute, "--requests-per-minute")
    if monthly_budget_usd is not None:
        given["monthly_budget_usd"] = parse_budget(monthly_budget_usd)
    if profiles is not None:
        given["profiles"] = parse_profiles(profiles, allow_all=True)
    if not given:
        raise click.UsageError(
            "give --max-concurrent, --requests-per-minute, --monthly-budget-usd and/or --profiles"
        )
    files = instance_files(config, state)
    try:
        changed = state_admin(files.state_db).change_key_limits(name, given)
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)
        return
    if not changed:
        raise click.ClickException(f"no active key named {name!r} (see `coderouter-supervisor keys list`)")
    shown = ", ".join(_shown(setting, value) for setting, value in given.items())
    click.echo(f"{name}: {shown}; every worker applies it within a second")


def _shown(setting: KeySetting, value: KeyValue) -> str:
    if isinstance(value, tuple):
        text = ",".join(value)
    elif value is None:
        text = "all" if setting == "profiles" else "none"
    else:
        text = _dollars(value) if setting == "monthly_budget_usd" else str(value)
    return f"{setting.replace('_', '-')} {text}"


@keys.command("revoke")
@click.argument("name")
@config_option
@state_option
def keys_revoke(name: str, config: str | None, state: str | None) -> None:
    """Disable NAME's key at once, on every worker."""
    files = instance_files(config, state)
    try:
        click.echo(revoke(files.state_db, name))
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)
