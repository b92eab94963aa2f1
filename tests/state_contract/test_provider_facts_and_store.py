"""Provider facts and their observations, migrations and the store's own health, through the seam alone."""

from __future__ import annotations

import asyncio

import pytest

from coderouter_supervisor.state import (
    SCHEMA_VERSION,
    AttemptRecord,
    HealthRecord,
    LedgerEntry,
    ProviderFacts,
    Settlement,
    StateUnavailable,
)

from support.state_stores import StoreUnderTest

NOW = 1_764_590_400.0
MONTH = "2025-12"


def fail_once(old: HealthRecord | None) -> HealthRecord:
    count = (old.consecutive_failures if old else 0) + 1
    return HealthRecord("local", "degraded" if count >= 2 else "healthy", count, NOW)


def test_health_transitions_are_read_modify_write_across_handles(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        stores = [await backend.open() for _ in range(4)]
        results = await asyncio.gather(*(s.update_health("local", fail_once) for s in stores))
        # Four workers failing at once: every failure counts, each saw the one before it.
        assert sorted(new.consecutive_failures for _, new in results) == [1, 2, 3, 4]
        assert sorted((old.consecutive_failures if old else 0) for old, _ in results) == [0, 1, 2, 3]
        facts = await stores[0].read_provider_facts(["local"], month=MONTH, attempts_since=None)
        assert facts.health == {"local": HealthRecord("local", "degraded", 4, NOW)}

    backend.run(scenario)


def test_cooldowns_only_grow(backend: StoreUnderTest) -> None:
    async def scenario() -> list[float]:
        store = await backend.open()
        return [await store.start_cooldown("local", NOW + d) for d in (120, 30, 300)]

    assert backend.run(scenario) == [NOW + 120, NOW + 120, NOW + 300]


def test_facts_are_read_together_and_attempts_pruned_to_the_window(backend: StoreUnderTest) -> None:
    old = AttemptRecord("local", NOW - 120, 50.0, True)
    recent = [AttemptRecord("local", NOW - 5, 80.0, False), AttemptRecord("cloud", NOW - 1, None, True)]

    async def scenario() -> tuple[ProviderFacts, ProviderFacts, ProviderFacts]:
        store = await backend.open()
        await store.append_attempts([old], keep_since=NOW - 600)
        await store.append_attempts(recent, keep_since=NOW - 60)  # drops `old`
        await store.start_cooldown("local", NOW + 10)
        await store.record_spend([("cloud", MONTH, Settlement(2.0))])
        every = await store.read_provider_facts(["local", "cloud"], month=MONTH, attempts_since=NOW - 600)
        without_attempts = await store.read_provider_facts(["local"], month=MONTH, attempts_since=None)
        return every, without_attempts, await store.read_provider_facts([], month=MONTH, attempts_since=0)

    facts, without_attempts, nothing = backend.run(scenario)
    assert sorted(facts.attempts, key=lambda a: a.at) == recent
    assert facts.cooldown_until == {"local": NOW + 10}
    assert facts.ledger["cloud"] == LedgerEntry("cloud", MONTH, 2.0, 0.0, 0, 0, 0, 1)
    assert facts.ledger["local"] == LedgerEntry("local", MONTH)
    assert facts.health == {}
    assert without_attempts.attempts == () and without_attempts.cooldown_until == {"local": NOW + 10}
    assert nothing == ProviderFacts()


def test_migration_creates_the_current_schema_once(fresh_store: StoreUnderTest) -> None:
    assert fresh_store.admin.migrate() == 0
    described = fresh_store.admin.describe()
    assert (described.kind, described.schema_version) == (fresh_store.kind, SCHEMA_VERSION)
    assert described.engine_version[0].isdigit()
    assert fresh_store.admin.migrate() == SCHEMA_VERSION  # idempotent: nothing left to do
    assert fresh_store.admin.read_keys() == []


def test_a_healthy_store_passes_its_check_and_a_closed_handle_refuses(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        await store.check_store()
        worker = await store.register_worker(101, NOW)
        await store.check_store()
        assert [w.worker_id for w in await store.list_workers(NOW)] == [worker]
        await store.close()
        await store.close()  # idempotent
        with pytest.raises(StateUnavailable):
            await store.list_workers(NOW)
        with pytest.raises(StateUnavailable):
            await store.record_heartbeat(worker, NOW + 1, 1)

    backend.run(scenario)
