"""Reading and writing the portable state (`state copy`'s ledgers, keys and health), through the seam."""

from __future__ import annotations

from coderouter_supervisor.state import (
    ClientKey,
    HealthRecord,
    LedgerEntry,
    PortableState,
    Settlement,
    StateBackend,
)

from support.state_stores import StoreUnderTest

NOW = 1_764_590_400.0
PORTABLE = PortableState(
    ledgers=(
        LedgerEntry("paid", "2026-11", 1.25, input_tokens=100, output_tokens=20, requests=3),
        LedgerEntry("key:team", "2026-12", 0.5, input_tokens=7, output_tokens=9, requests=1),
    ),
    keys=(
        ClientKey("alice", "h1", NOW, 5.0, ("coding",), max_concurrent=3, requests_per_minute=30),
        ClientKey("bob", "h2", NOW + 1, admin=True, revoked_at=NOW + 2),
    ),
    health=(HealthRecord("local", "unhealthy", 4, NOW),),
)


def test_a_fresh_store_has_nothing_to_copy(backend: StoreUnderTest) -> None:
    assert backend.admin.read_portable().empty


def test_what_is_written_reads_back_whole_revoked_keys_and_old_months_too(backend: StoreUnderTest) -> None:
    backend.admin.write_portable(PORTABLE)
    read = backend.admin.read_portable()
    assert sorted(read.ledgers, key=lambda e: e.month) == sorted(PORTABLE.ledgers, key=lambda e: e.month)
    assert read.keys == PORTABLE.keys
    assert read.health == PORTABLE.health
    assert not read.empty


def test_a_write_replaces_ledgers_holds_keys_and_health(backend: StoreUnderTest) -> None:
    async def fill() -> None:
        store: StateBackend = await backend.open()
        worker = await store.register_worker(1, NOW)
        await store.reserve_spend(
            provider="paid",
            month="2026-12",
            amount_usd=1.0,
            cap_usd=10.0,
            worker_id=worker,
            now=NOW,
            hold_s=60,
        )
        await store.record_spend([("other", "2026-12", Settlement(2.0))])
        await store.update_health("gone", lambda _: HealthRecord("gone", "unhealthy", 1, NOW))

    backend.run(fill)
    backend.admin.add_key(ClientKey("carol", "h3", NOW))

    backend.admin.write_portable(PORTABLE)
    read = backend.admin.read_portable()
    assert {e.provider for e in read.ledgers} == {"paid", "key:team"}
    assert all(e.reservations == 0 and e.reserved_usd == 0 for e in backend.admin.read_ledger("2026-12"))
    assert [k.name for k in read.keys] == ["alice", "bob"]
    assert read.health == PORTABLE.health
