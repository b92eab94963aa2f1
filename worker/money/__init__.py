"""Money in one place: what a call costs (:mod:`.pricing`), and budgets (:mod:`.holds`): month keys,
ledger names, what a hold reserves, what an attempt is recorded at, the holds and their hints."""

from __future__ import annotations

from coderouter_supervisor.worker.money.holds import (
    BUDGET_HINT,
    KEY_LEDGER_PREFIX,
    NotAdmitted,
    RequestShape,
    Reservation,
    Spend,
    SpendLedger,
    attempt_worst_case,
    barred_while_unchecked,
    hold_key_budget,
    hold_provider_budget,
    key_ledger,
    month_key,
    month_resets_at,
    request_worst_case,
    seconds_to_next_month,
    top_up_key_budget,
    usage_to_record,
)
from coderouter_supervisor.worker.money.pricing import cache_outcome, is_priced, price_usage
from coderouter_supervisor.worker.money.settlement import (
    EstimateReason,
    add_spend,
    maybe_billed,
    price_attempt,
)

__all__ = [
    "BUDGET_HINT",
    "KEY_LEDGER_PREFIX",
    "EstimateReason",
    "NotAdmitted",
    "RequestShape",
    "Reservation",
    "Spend",
    "SpendLedger",
    "add_spend",
    "attempt_worst_case",
    "barred_while_unchecked",
    "cache_outcome",
    "hold_key_budget",
    "hold_provider_budget",
    "is_priced",
    "key_ledger",
    "maybe_billed",
    "month_key",
    "month_resets_at",
    "price_attempt",
    "price_usage",
    "request_worst_case",
    "seconds_to_next_month",
    "top_up_key_budget",
    "usage_to_record",
]
