"""What a state backend does, named once: the seam between the gateway and where its shared state lives.

Two faces, because two kinds of caller use the state:

* :class:`StateBackend`, a worker's (or the supervisor endpoint's) long-lived handle. Every operation is
  a coroutine: the gateway calls them on its event loop, and a backend runs each as one short
  transaction off the loop. Opened with :func:`~coderouter_supervisor.state.open_state` after fork.
* :class:`StateAdmin`, the synchronous operations of the CLI, the arbiter and the supervisor before any
  worker starts. Each call connects, does one thing and disconnects, so a process that forks never
  keeps a connection. Built with :func:`~coderouter_supervisor.state.state_admin`.

Both speak facts (dataclasses), never rows, and raise only :class:`StateError` and its branches: the
driver's own errors never leave the backend. Times are wall-clock UTC seconds passed in by the caller,
months are the caller's ``YYYY-MM`` keys, and ids (worker, reservation, admission) are the backend's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from coderouter_supervisor.state.budget_ledger import Hold, LedgerEntry, Settled, Settlement
from coderouter_supervisor.state.client_keys import ClientKey, KeySetting, KeyValue
from coderouter_supervisor.state.heartbeats import WorkerHeartbeat
from coderouter_supervisor.state.key_admissions import Admitted, Refused
from coderouter_supervisor.state.metric_history import HistoryPoint, Resolution, Rollup
from coderouter_supervisor.state.metric_series import RecentEvent
from coderouter_supervisor.state.portable import PortableState
from coderouter_supervisor.state.provider_observations import AttemptRecord, HealthRecord, ProviderFacts
from coderouter_supervisor.state.series_labels import SeriesKey


@dataclass(frozen=True)
class StoreDescription:
    """A store as ``doctor`` reports it: its backend kind, the engine's version, its schema version.
    A server also reports its wall clock (UTC seconds) when asked, and the tables of this store that
    its user may not read and write (the privileges every box needs)."""

    kind: str
    engine_version: str
    schema_version: int
    server_time: float | None = None
    tables_without_access: tuple[str, ...] = ()


class StateBackend(Protocol):
    """A process's handle on the shared state. :meth:`close` is idempotent; after it every operation
    that reads or writes raises :class:`StateUnavailable`. A handle whose store cannot be reached still
    opens; its operations raise :class:`StateUnavailable` until the store is back."""

    async def check_store(self) -> None:
        """Raise :class:`StateUnavailable` when writes through this handle would no longer reach the
        other processes (the store was replaced or lost under it). Cheap: for a periodic check."""

    # Worker heartbeats
    async def register_worker(self, pid: int, now: float, beat_interval_s: float = ...) -> int:
        """Add a starting worker that beats every ``beat_interval_s``; return its id."""

    async def record_heartbeat(self, worker_id: int, now: float, requests: int) -> int:
        """Refresh a worker's heartbeat; return how many workers of its box are alive as of ``now``
        (a state file serves one box; a shared server, several)."""

    async def mark_worker_exited(self, worker_id: int, now: float, requests: int) -> None: ...

    async def list_workers(self, now: float) -> list[WorkerHeartbeat]:
        """Workers alive as of ``now``, oldest first."""

    # Provider facts: one consistent read, and the observations that feed it
    async def read_provider_facts(
        self, providers: Sequence[str], *, month: str, attempts_since: float | None
    ) -> ProviderFacts:
        """Health, cooldowns and ``month``'s ledger of ``providers``; with ``attempts_since``, their
        recent attempts since then, oldest first."""

    async def update_health(
        self, provider: str, transition: Callable[[HealthRecord | None], HealthRecord]
    ) -> tuple[HealthRecord | None, HealthRecord]:
        """Apply the pure ``transition`` to ``provider``'s record atomically; return (old, new)."""

    async def start_cooldown(self, provider: str, until: float) -> float:
        """Cool ``provider`` down until at least ``until`` (never shortened); return the end."""

    async def append_attempts(self, attempts: Sequence[AttemptRecord], *, keep_since: float) -> None:
        """Store a batch of attempts; drop every attempt older than ``keep_since``."""

    # Money: holds, settlement, spend without a hold, the ledger
    async def reserve_spend(
        self,
        *,
        provider: str,
        month: str,
        amount_usd: float,
        cap_usd: float,
        worker_id: int,
        now: float,
        hold_s: float,
    ) -> Hold:
        """Hold ``amount_usd`` for ``hold_s`` if settled spend, live holds and it fit under ``cap_usd``,
        exactly across every handle. First reclaims holds whose worker is gone or whose time is up,
        charging each at its amount (returned in :attr:`Hold.reclaimed`)."""

    async def settle_spend(
        self,
        reservation_id: int,
        provider: str,
        month: str,
        settlement: Settlement | None,
        *,
        retry: bool = False,
    ) -> Settled:
        """Replace the hold with what the attempt cost (None: nothing to pay for). A reclaimed hold's
        charge is taken back first; a hold that is gone is recorded all the same, even past the cap.
        A ``retry`` of a settle that failed (and may have landed all the same) records nothing when
        the hold is gone: its going is what the earlier settle did."""

    async def record_spend(self, entries: Sequence[tuple[str, str, Settlement]]) -> None:
        """Add (ledger entry, month, settlement) rows that held nothing, in one transaction."""

    async def read_ledger(self, month: str) -> list[LedgerEntry]:
        """Every ledger entry with spend or holds in ``month``, by name."""

    # Client keys and their admissions
    async def read_keys(self) -> list[ClientKey]:
        """Every client key, revoked ones too, oldest first."""

    async def admit_request(
        self,
        *,
        key_name: str,
        max_concurrent: int | None,
        requests_per_minute: int | None,
        worker_id: int,
        now: float,
        hold_s: float,
    ) -> Admitted | Refused:
        """Admit one request of ``key_name`` under its limits (None: no such limit), exactly across
        every handle, or say which limit refused it (recording nothing)."""

    async def release_request(self, admission_id: int, now: float) -> bool:
        """Free an admitted request's slot; False when it was free already (idempotent)."""

    # Metrics
    async def write_metric_series(
        self, worker_id: int, series: dict[SeriesKey, float], rollup: Rollup | None = None
    ) -> None:
        """Store ``series`` as worker ``worker_id``'s current (cumulative) values and, in the same
        transaction, add ``rollup`` to the minute and hour it falls in (summed with every other
        writer's) and drop history past its retention."""

    async def read_history(self, resolution: Resolution, since: float) -> list[HistoryPoint]:
        """The history rows of ``resolution`` from buckets starting at or after ``since``, oldest first."""

    async def metric_totals(self) -> dict[SeriesKey, float]:
        """Every series summed over every worker that ever wrote it."""

    async def append_recent_events(self, events: Sequence[RecentEvent]) -> None: ...

    async def recent_events(self, limit: int = 50) -> list[RecentEvent]:
        """The newest ``limit`` events of every worker, newest first."""

    async def close(self) -> None:
        """Release the connection. Idempotent."""


class StateAdmin(Protocol):
    """The one-off operations of the CLI, the arbiter and the supervisor; each call connects for itself."""

    def migrate(self) -> int:
        """Create or upgrade the store to :data:`SCHEMA_VERSION`; return the version it was at.
        Idempotent. Raises :class:`SchemaMismatch` for a store newer than this code."""

    def describe(self) -> StoreDescription:
        """What the store is, read from it: for ``doctor`` and ``status``. Raises
        :class:`StateUnavailable` when it cannot be reached."""

    # Budget ledger
    def read_ledger(self, month: str, providers: tuple[str, ...] | None = None) -> list[LedgerEntry]:
        """Every entry with spend or holds in ``month`` by name, or exactly ``providers``."""

    def reset_ledger(self, provider: str, month: str) -> LedgerEntry:
        """Clear ``provider``'s spend and holds of ``month``; return what was cleared."""

    # Client keys
    def add_key(self, key: ClientKey) -> None:
        """Store ``key``; raises :class:`KeyNameTaken` when its name was ever used."""

    def revoke_key(self, name: str, now: float) -> bool:
        """Revoke the key ``name``; False when there is no active key of that name."""

    def change_key_limits(self, name: str, limits: Mapping[KeySetting, KeyValue]) -> bool:
        """Change the given settings of the active key ``name``; False when there is none."""

    def read_keys(self) -> list[ClientKey]:
        """Every client key, revoked ones too, oldest first."""

    def read_key(self, name: str) -> ClientKey | None:
        """The key ``name`` (revoked or not), or None."""

    # Worker heartbeats
    def list_workers(self, now: float, *, include_exited: bool = False) -> list[WorkerHeartbeat]:
        """Workers alive as of ``now`` (and, if asked, those that exited), oldest first."""

    def mark_pid_exited(self, pid: int, now: float) -> None:
        """Mark the live worker of process ``pid`` exited (the arbiter, after reaping it)."""

    def mark_gone_workers(self, now: float, exists: Callable[[int], bool] = ...) -> list[WorkerHeartbeat]:
        """Mark exited every live worker whose process no longer exists (``exists`` says); return them."""

    # Metric history
    def read_history(self, resolution: Resolution, since: float) -> list[HistoryPoint]:
        """As :meth:`StateBackend.read_history`."""

    # Moving a state to another store (`state copy`)
    def read_portable(self) -> PortableState:
        """Every month's settled ledger, every key and each provider's health, read at one instant."""

    def write_portable(self, portable: PortableState) -> None:
        """Replace this store's ledgers (their holds too), keys (their admissions too) and health with
        ``portable``, in one transaction."""
