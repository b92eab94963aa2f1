"""What `state copy` moves between two stores, and the SQL both backends share to read and write it.

A :class:`PortableState` is the state a person would miss after moving a gateway: every month's
settled ledger, every client key (revoked ones too, so names are never reused) and each provider's
health. What belongs to running processes stays behind: holds, key admissions, heartbeats, metric
series, events, attempts and cooldowns (all short-lived, and rebuilt by the next traffic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from coderouter_supervisor.state.budget_ledger import LedgerEntry
from coderouter_supervisor.state.client_keys import _COLUMNS as KEY_COLUMNS
from coderouter_supervisor.state.client_keys import ClientKey, insert_key, key_values
from coderouter_supervisor.state.client_keys import _row as key_of_row
from coderouter_supervisor.state.provider_observations import HealthRecord


@dataclass(frozen=True)
class PortableState:
    ledgers: tuple[LedgerEntry, ...] = ()
    keys: tuple[ClientKey, ...] = ()
    health: tuple[HealthRecord, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.ledgers or self.keys or self.health)


# Emptied before a copy is written, children before the rows they name.
REPLACED_TABLES = ("budget_reservation", "budget_ledger", "key_admission", "client_key", "backend_health")
LEDGER_COLUMNS = "provider, month, spent_usd, input_tokens, output_tokens, requests"
HEALTH_COLUMNS = "provider, state, consecutive_failures, changed_at"
READ_LEDGERS = f"SELECT {LEDGER_COLUMNS} FROM budget_ledger ORDER BY month, provider"  # noqa: S608
READ_KEYS = f"SELECT {KEY_COLUMNS} FROM client_key ORDER BY created_at"  # noqa: S608
READ_HEALTH = f"SELECT {HEALTH_COLUMNS} FROM backend_health ORDER BY provider"  # noqa: S608


def insert_ledger(placeholder: str) -> str:
    """The INSERT of one ledger row in the driver's ``placeholder`` style (``?`` or ``%s``)."""
    return f"INSERT INTO budget_ledger ({LEDGER_COLUMNS}) VALUES ({', '.join([placeholder] * 6)})"  # noqa: S608


def insert_health(placeholder: str) -> str:
    return f"INSERT INTO backend_health ({HEALTH_COLUMNS}) VALUES ({', '.join([placeholder] * 4)})"  # noqa: S608


def ledger_values(entry: LedgerEntry) -> tuple[Any, ...]:
    return (
        entry.provider,
        entry.month,
        entry.spent_usd,
        entry.input_tokens,
        entry.output_tokens,
        entry.requests,
    )


def ledger_of_row(row: tuple[Any, ...]) -> LedgerEntry:
    provider, month, spent, tokens_in, tokens_out, requests = row
    return LedgerEntry(
        str(provider),
        str(month),
        float(spent),
        input_tokens=int(tokens_in),
        output_tokens=int(tokens_out),
        requests=int(requests),
    )


def health_values(record: HealthRecord) -> tuple[Any, ...]:
    return (record.provider, record.state, record.consecutive_failures, record.changed_at)


def health_of_row(row: tuple[Any, ...]) -> HealthRecord:
    provider, state, failures, changed = row
    return HealthRecord(str(provider), str(state), int(failures), float(changed))


class Executes(Protocol):
    """A DB-API connection of either backend, inside the transaction the caller opened."""

    def execute(self, query: str, params: Any = ..., /) -> Any: ...


def read_portable(conn: Executes) -> PortableState:
    return PortableState(
        ledgers=tuple(ledger_of_row(tuple(row)) for row in conn.execute(READ_LEDGERS).fetchall()),
        keys=tuple(key_of_row(tuple(row)) for row in conn.execute(READ_KEYS).fetchall()),
        health=tuple(health_of_row(tuple(row)) for row in conn.execute(READ_HEALTH).fetchall()),
    )


def write_portable(conn: Executes, portable: PortableState, placeholder: str) -> None:
    """Replace the target's portable state with ``portable`` (inside the caller's transaction)."""
    for table in REPLACED_TABLES:
        conn.execute(f"DELETE FROM {table}")  # noqa: S608
    for entry in portable.ledgers:
        conn.execute(insert_ledger(placeholder), ledger_values(entry))
    for key in portable.keys:
        conn.execute(insert_key(placeholder), key_values(key))
    for record in portable.health:
        conn.execute(insert_health(placeholder), health_values(record))
