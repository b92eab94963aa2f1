"""``coderouter-supervisor keys add | list | revoke``: the client keys of a team gateway."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import click

from coderouter_supervisor.state import (
    ClientKey,
    LedgerEntry,
    read_keys,
    read_ledger,
    store_key,
    withdraw_key,
)
from coderouter_supervisor.worker.ingress.client_auth import key_hash
from coderouter_supervisor.worker.ingress.dispatch import KEY_LEDGER_PREFIX

KEY_PREFIX = "crs-"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


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
    state_db: Path, name: str, *, budget: float | None, profiles: tuple[str, ...] | None, admin: bool
) -> str:
    """Store a new key named ``name``; returns the key, which is shown once and never again."""
    key = new_key()
    store_key(
        state_db,
        ClientKey(check_name(name), key_hash(key), time.time(), budget, profiles, admin),
    )
    return key


def render_keys(keys: list[ClientKey], usage: dict[str, LedgerEntry] | None = None, month: str = "") -> str:
    """A table of ``keys`` with this month's paid usage (``usage`` by key name)."""
    if not keys:
        return "no client keys (the gateway accepts any caller on loopback)"
    usage = usage or {}
    rows = [
        ("NAME", "STATE", "BUDGET/MONTH", "SPENT", "PAID REQUESTS", "TOKENS", "PROFILES", "ADMIN", "CREATED")
    ]
    for key in keys:
        used = usage.get(key.name, LedgerEntry(key.name, month))
        rows.append(
            (
                key.name,
                "active" if key.active else "revoked",
                "-" if key.monthly_budget_usd is None else f"{key.monthly_budget_usd:.2f}",
                f"{used.spent_usd:.4f}",
                str(used.requests),
                str(used.input_tokens + used.output_tokens),
                "all" if key.profiles is None else ",".join(key.profiles),
                "yes" if key.admin else "no",
                time.strftime("%Y-%m-%d %H:%MZ", time.gmtime(key.created_at)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)


def revoke(state_db: Path, name: str) -> str:
    if not withdraw_key(state_db, name, time.time()):
        raise click.ClickException(f"no active key named {name!r} (see `coderouter-supervisor keys list`)")
    return f"revoked {name}: every worker refuses it within a second"


def list_keys(state_db: Path) -> str:
    month = time.strftime("%Y-%m", time.gmtime())
    usage = {
        entry.provider.removeprefix(KEY_LEDGER_PREFIX): entry
        for entry in read_ledger(state_db, month)
        if entry.provider.startswith(KEY_LEDGER_PREFIX)
    }
    return f"keys, with paid usage in {month} (UTC):\n" + render_keys(read_keys(state_db), usage, month)
