"""Money: month keys, ledger names, what a budget hold reserves, what an attempt is recorded at,
and the holds themselves (provider and client-key budgets) over a :class:`SpendLedger`.

The promise: recorded spend is at least what the upstream billed and at most the cap.

* **The hold bounds the attempt.** Input is :func:`input_token_bound` of the request (one token
  per UTF-8 byte, images at their provider's ceiling, priced at the dearest input rate); output
  is the limit the gateway sends upstream (the client's, or one it injects for a priced
  provider) times the choices asked for (OpenAI ``n``, which only some upstream kinds answer).
  An upstream that honours its limit cannot bill more than its hold.
* **Unknown usage is recorded at the bound, never at zero.** A stream that ends without usage,
  an answer without it, an upstream that broke off or timed out once it had the request, a
  client that left: the attempt is recorded
  at the input the upstream reported (an Anthropic stream's ``message_start``) or the input
  bound, plus every output token it was allowed. A client that leaves does not stop the
  upstream at once: it generates until it notices the closed connection, and bills what it
  generated, which the gateway never sees. Reading on until usage arrives would spend money
  the client no longer wants and keep a connection per abandoned request; settling at the
  allowed output is what keeps recorded ≥ billed whatever the upstream does, at the cost of
  over-recording a request the client abandoned.
* **Only money needs the bound.** A request whose chain is all free is not measured (a walk over
  every text of every request), and a free provider's unknown usage is recorded as seen.

Budgets are per UTC calendar month (wall clock: every worker must agree on the month). A client
key's spend shares the providers' ledger under :func:`key_ledger` names.
"""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from coderouter_supervisor.state import ClientKey
from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind
from coderouter_supervisor.worker.errors import KeyBudgetExhausted, NoProviderLeft
from coderouter_supervisor.worker.money.pricing import is_priced, worst_case_cost
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import InputBound, TokenUsage, UsageReport

BUDGET_HINT = "raise cost.monthly_budget_usd, wait for the next UTC month, or add a provider without a budget"
"""What a client is told to do when budgets left no provider to try."""

KEY_LEDGER_PREFIX = "key:"


def key_ledger(key_name: str) -> str:
    """The ledger entry of client key ``key_name`` (beside the providers' own)."""
    return KEY_LEDGER_PREFIX + key_name


def month_key(now: float) -> str:
    """The UTC calendar month of ``now`` as ``YYYY-MM``: the budget ledger's key."""
    return _MONTHS.key_of(now)


class _MonthMemo:
    """The last month asked for and its span: routing asks for every budgeted provider of every
    request, and formatting a struct_time each time showed as 0.3 % of a worker's time."""

    def __init__(self) -> None:
        self._last: tuple[float, float, str] = (math.inf, -math.inf, "")  # start, end, key

    def key_of(self, now: float) -> str:
        start, end, key = self._last
        if start <= now < end:
            return key
        day = time.gmtime(now)
        key = time.strftime("%Y-%m", day)
        year, month = day.tm_year, day.tm_mon
        # Whole seconds: ``now`` is in the span exactly when the second gmtime read is.
        start = calendar.timegm((year, month, 1, 0, 0, 0))
        end = calendar.timegm((year + month // 12, month % 12 + 1, 1, 0, 0, 0))
        self._last = (start, end, key)  # one assignment: a reader on another thread sees old or new
        return key


_MONTHS = _MonthMemo()


def month_resets_at(month: str) -> str:
    """When the budgets of ``month`` (``YYYY-MM``) reset: the first moment of the next UTC month."""
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}-01 00:00 UTC"


def seconds_to_next_month(now: float) -> float:
    today = datetime.fromtimestamp(now, UTC)
    first = datetime(today.year + today.month // 12, today.month % 12 + 1, 1, tzinfo=UTC)
    return first.timestamp() - now


@dataclass(frozen=True)
class Reservation:
    """Budget held for one attempt until it is settled with the real cost, against ``cap_usd``."""

    provider: str
    month: str
    amount_usd: float
    token: int
    cap_usd: float


@dataclass(frozen=True)
class Spend:
    """What one attempt cost."""

    cost_usd: float
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class NotAdmitted:
    """Why a budgeted provider is not tried: its hold does not fit (``budget``), or the budget cannot
    be checked because the state file is unusable (``state-unavailable``, ``detail`` says why)."""

    reason: Literal["budget", "state-unavailable"]
    detail: str | None = None


@dataclass(frozen=True)
class RequestShape:
    """What the budget needs to know about the request: ``input`` bounds what it reads,
    ``max_tokens`` is the output limit each attempt sends upstream (per choice), ``choices``
    the answers asked for (OpenAI ``n``)."""

    input: InputBound
    max_tokens: int
    streaming: bool
    cache_control: bool
    choices: int = 1
    choices_answered_by: frozenset[ProviderKind] = frozenset()
    """The upstream kinds that write (and bill) every choice asked for; the others write one."""


def allowed_output_tokens(provider: ProviderConfig, shape: RequestShape) -> int:
    """The most output tokens ``provider`` may write for the request, over all its choices."""
    choices = shape.choices if provider.kind in shape.choices_answered_by else 1
    return shape.max_tokens * max(choices, 1)


def attempt_worst_case(provider: ProviderConfig, shape: RequestShape) -> float:
    """The most one attempt on ``provider`` can cost: what its hold reserves (0 when free)."""
    return worst_case_cost(
        provider.cost,
        input_tokens=shape.input.tokens_for(provider.kind),
        max_tokens=allowed_output_tokens(provider, shape),
    )


def request_worst_case(providers: Sequence[ProviderConfig], shape: RequestShape) -> float:
    """The most one request may cost on any of ``providers`` (0 when all are free): a key's hold."""
    return max((attempt_worst_case(p, shape) for p in providers), default=0.0)


def usage_to_record(report: UsageReport, provider: ProviderConfig, shape: RequestShape) -> TokenUsage:
    """The usage an attempt is recorded at: the upstream's final report, else the estimate
    described in the module docstring (never below what was seen)."""
    seen = report.usage
    if report.final and seen is not None:
        return seen
    if not is_priced(provider.cost):
        return seen or TokenUsage()  # costs nothing; an estimate would only inflate its token counts
    limit = allowed_output_tokens(provider, shape)
    if seen is None or seen.total_input_tokens == 0:
        return TokenUsage(input_tokens=shape.input.tokens_for(provider.kind), output_tokens=limit)
    return TokenUsage(
        input_tokens=seen.input_tokens,
        output_tokens=max(seen.output_tokens, limit),
        cache_read_tokens=seen.cache_read_tokens,
        cache_creation_tokens=seen.cache_creation_tokens,
    )


class SpendLedger(Protocol):
    """The budget ledger as the gateway uses it. ``hold`` is the only check-and-write: it holds
    ``amount_usd`` only if settled spend, other holds and this one together stay within ``cap_usd``,
    so concurrent attempts can never overspend the cap; it returns None when the amount does not fit
    or the ledger cannot say (a budget fails closed). ``settle`` replaces a hold with the real cost
    (None: nothing to pay for), also when the hold was reclaimed meanwhile: the attempt then counts
    once, at its real cost. ``charge`` records spend that was not held; ``count_usage`` adds usage
    that cost nothing at the next flush."""

    @property
    def problem(self) -> str | None:
        """Why the ledger cannot be used right now (its real cause), or None."""

    async def hold(
        self, ledger: str, amount_usd: float, cap_usd: float, now: float
    ) -> Reservation | None: ...

    async def settle(self, reservation: Reservation, spend: Spend | None) -> None: ...

    async def charge(self, ledger: str, spend: Spend, now: float) -> None: ...

    def count_usage(self, ledger: str, spend: Spend, now: float) -> None: ...


async def hold_provider_budget(
    ledger: SpendLedger,
    provider: ProviderConfig,
    cap_usd: float,
    shape: RequestShape,
    *,
    profile: str,
    now: float,
) -> Reservation | NotAdmitted:
    """Hold the most an attempt on ``provider`` can cost against its monthly budget ``cap_usd``, or
    say why it may not be tried (an event says so too)."""
    worst = attempt_worst_case(provider, shape)
    reservation = await ledger.hold(provider.name, worst, cap_usd, now)
    if reservation is not None:
        return reservation
    problem = ledger.problem
    if problem is not None:
        emit_event(
            "skip-state-unavailable", "warning", provider=provider.name, profile=profile, error=problem
        )
        return NotAdmitted("state-unavailable", problem)
    emit_event(
        "skip-budget-exceeded",
        provider=provider.name,
        profile=profile,
        monthly_budget_usd=cap_usd,
        request_worst_case_usd=round(worst, 6),
        month=month_key(now),
    )
    return NotAdmitted("budget")


def barred_while_unchecked(
    problem: str, key: ClientKey | None, providers: Sequence[ProviderConfig], shape: RequestShape
) -> frozenset[str]:
    """The providers a request may not go to while the state file is unusable (``problem``): a key
    with a budget cannot be held, so its request may only go to providers that cost nothing. Raises
    :class:`NoProviderLeft` naming the cause when that bars them all."""
    if key is None or key.monthly_budget_usd is None:
        return frozenset()
    barred = frozenset(p.name for p in providers if request_worst_case([p], shape) > 0)
    if len(barred) == len({p.name for p in providers}):
        raise key_budget_unchecked(key.name, problem)
    return barred


def key_budget_unchecked(key_name: str, problem: str) -> NoProviderLeft:
    """The error for a key whose budget cannot be checked (it is not lifted meanwhile)."""
    emit_event("key-budget-unavailable", "warning", error=problem)
    return NoProviderLeft(
        f"client key {key_name!r} has a monthly budget, which cannot be checked while the state file "
        f"is unusable: {problem}"
    )


async def hold_key_budget(
    ledger: SpendLedger,
    key_name: str,
    cap_usd: float,
    providers: Sequence[ProviderConfig],
    shape: RequestShape,
    now: float,
) -> Reservation | None:
    """Reserve the request's worst case on any of ``providers`` against a client key's budget (same
    exact ledger as providers, under :func:`key_ledger`); None when all are free. Raises
    :class:`KeyBudgetExhausted` when it does not fit and :class:`NoProviderLeft` when the ledger
    cannot say."""
    worst = request_worst_case(providers, shape)
    if worst <= 0:
        return None  # only free providers in the chain: nothing to hold
    hold = await ledger.hold(key_ledger(key_name), worst, cap_usd, now)
    if hold is None and ledger.problem is not None:  # the state file failed since the request was planned
        raise key_budget_unchecked(key_name, ledger.problem)
    if hold is None:
        emit_event("key-budget-exceeded", "warning", monthly_budget_usd=cap_usd)
        raise KeyBudgetExhausted(
            f"client key {key_name!r} has spent its monthly budget of ${cap_usd:g}; "
            f"it resets at the start of the next UTC month",
            resets_in_s=seconds_to_next_month(now),
        )
    return hold


async def top_up_key_budget(
    ledger: SpendLedger,
    key_name: str,
    cap_usd: float,
    missing_usd: float,
    *,
    provider: str,
    now: float,
) -> Reservation | NotAdmitted:
    """Hold ``missing_usd`` more for a key whose request has cost more than its holds cover (an
    earlier attempt may have been billed), or say why the next attempt may not go ahead."""
    top_up = await ledger.hold(key_ledger(key_name), missing_usd, cap_usd, now)
    if top_up is not None:
        return top_up
    problem = ledger.problem
    if problem is not None:
        return NotAdmitted("state-unavailable", problem)
    emit_event("key-budget-exceeded", "warning", monthly_budget_usd=cap_usd, provider=provider)
    return NotAdmitted("budget")
