"""``coderouter-supervisor budget``: this month's spend per provider, and resetting it."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass

import click

from coderouter_supervisor.state import LedgerEntry, StateError, StateLocation, state_admin
from coderouter_supervisor.supervisor.cli_support import (
    EXIT_FAILURE,
    EXIT_INVALID,
    config_option,
    fail,
    instance_and_config,
    require_state,
    state_missing,
    state_option,
)
from coderouter_supervisor.worker.config import CodeRouterConfig
from coderouter_supervisor.worker.money import KEY_LEDGER_PREFIX, month_key

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class BudgetLine:
    entry: LedgerEntry
    cap_usd: float | None

    @property
    def left_usd(self) -> float | None:
        if self.cap_usd is None:
            return None
        return max(self.cap_usd - self.entry.spent_usd - self.entry.reserved_usd, 0.0)


def current_month() -> str:
    return month_key(time.time())


def check_month(month: str | None) -> str:
    if month is None:
        return current_month()
    if not _MONTH.fullmatch(month):
        raise click.BadParameter(f"{month!r} is not a month like 2026-12", param_hint="--month")
    return month


def budget_lines(config: CodeRouterConfig | None, state_db: StateLocation, month: str) -> list[BudgetLine]:
    """Every provider with a cap or with spend this month; capped ones first, in config order.

    Without a config (it no longer loads) only the recorded spend is shown, without caps.
    """
    providers = config.providers if config is not None else ()
    caps = {
        p.name: p.cost.monthly_budget_usd
        for p in providers
        if p.cost is not None and p.cost.monthly_budget_usd is not None
    }
    entries = {entry.provider: entry for entry in state_admin(state_db).read_ledger(month, tuple(caps))}
    for entry in state_admin(state_db).read_ledger(month):
        if not entry.provider.startswith(KEY_LEDGER_PREFIX):  # client keys: see `keys list`
            entries.setdefault(entry.provider, entry)
    return [BudgetLine(entry, caps.get(name)) for name, entry in entries.items()]


def _usd(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def render_budget(lines: list[BudgetLine], month: str, state_db: StateLocation, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(
            [{**asdict(line.entry), "cap_usd": line.cap_usd, "left_usd": line.left_usd} for line in lines],
            indent=2,
        )
    out = [f"budget for {month} (UTC calendar month), state {state_db}"]
    if not lines:
        out.append("no provider has a monthly_budget_usd or any recorded spend")
        return "\n".join(out)
    width = max(len("PROVIDER"), *(len(line.entry.provider) for line in lines))
    out.append(
        f"{'PROVIDER':<{width}}  {'SPENT':>10}  {'RESERVED':>10}  {'CAP':>10}  {'LEFT':>10}  {'REQUESTS':>8}"
    )
    for line in lines:
        e = line.entry
        out.append(
            f"{e.provider:<{width}}  {_usd(e.spent_usd):>10}  {_usd(e.reserved_usd):>10}  "
            f"{_usd(line.cap_usd):>10}  {_usd(line.left_usd):>10}  {e.requests:>8}"
        )
    out.append("amounts in USD; RESERVED is held by requests in flight")
    return "\n".join(out)


def unknown_ledger(provider: str, configured: tuple[str, ...], recorded: tuple[str, ...]) -> str | None:
    """Why ``provider`` names no ledger that a reset could clear (naming those that exist), or None.

    A ledger exists for every provider of the config and for every name with rows this month
    (a provider since removed from the config, a client key's ``key:NAME``).
    """
    known = dict.fromkeys((*configured, *recorded))
    if provider in known:
        return None
    names = ", ".join(known) if known else "none"
    return f"no provider {provider!r} in the config or in this month's ledger; known: {names}"


def reset_provider(state_db: StateLocation, provider: str, month: str, *, confirmed: bool) -> str:
    """Clear ``provider``'s month after confirmation; raises ``click.Abort`` when declined."""
    if not confirmed:
        click.confirm(
            f"Clear {provider}'s spend and reservations for {month}? Its budget starts over.", abort=True
        )
    try:
        cleared = state_admin(state_db).reset_ledger(provider, month)
    except StateError as exc:
        raise click.ClickException(str(exc)) from exc
    return f"cleared {provider} for {month}: {_usd(cleared.spent_usd)} USD spent, {cleared.requests} requests"


@click.group(invoke_without_command=True)
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
    loaded, state_db = instance_and_config(config, state)
    chosen = check_month(month)
    require_state(state_db)
    try:
        lines = budget_lines(loaded, state_db, chosen)
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)
        return
    click.echo(render_budget(lines, chosen, state_db, as_json=as_json))


@budget.command("reset")
@click.argument("provider")
@config_option
@state_option
@click.option("--month", metavar="YYYY-MM", help="Another UTC month (default: this one).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def budget_reset(provider: str, config: str | None, state: str | None, month: str | None, yes: bool) -> None:
    """Clear PROVIDER's spend and reservations for the month (asks first; exit 2 for an unknown name)."""
    loaded, state_db = instance_and_config(config, state)
    chosen = check_month(month)
    configured = tuple(p.name for p in loaded.providers) if loaded is not None else ()
    try:
        recorded = (
            tuple(e.provider for e in state_admin(state_db).read_ledger(chosen))
            if not state_missing(state_db)
            else ()
        )
    except StateError as exc:
        fail(str(exc), EXIT_FAILURE)
        return
    refusal = unknown_ledger(provider, configured, recorded)
    if refusal is not None:
        fail(refusal, EXIT_INVALID)
    click.echo(reset_provider(state_db, provider, chosen, confirmed=yes))
