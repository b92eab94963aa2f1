"""Client keys and their per-key admissions, through the backend seam alone."""

from __future__ import annotations

import asyncio
import os

import pytest

from coderouter_supervisor.state import (
    DEAD_AFTER_S,
    Admitted,
    ClientKey,
    KeyNameTaken,
    Refused,
    StateBackend,
)

from support.state_stores import StoreUnderTest

NOW = 1_764_590_400.0
HOLD_S = 3600.0
WINDOW_S = 60.0


def test_keys_are_added_read_limited_and_revoked(backend: StoreUnderTest) -> None:
    admin = backend.admin
    alice = ClientKey("alice", "h1", NOW, 5.0, ("coding",), max_concurrent=3, requests_per_minute=30)
    admin.add_key(alice)
    admin.add_key(ClientKey("bob", "h2", NOW + 1, admin=True))
    assert admin.read_keys() == [alice, ClientKey("bob", "h2", NOW + 1, admin=True)]
    assert admin.read_key("alice") == alice
    assert admin.read_key("carol") is None
    assert alice.rate_limited and not ClientKey("bob", "h2", NOW).rate_limited

    assert admin.change_key_limits("alice", {"max_concurrent": None, "profiles": ("a", "b")}) is True
    assert admin.change_key_limits("carol", {"max_concurrent": 1}) is False
    changed = admin.read_key("alice")
    assert changed is not None
    assert (changed.max_concurrent, changed.requests_per_minute, changed.profiles) == (None, 30, ("a", "b"))

    assert admin.revoke_key("alice", NOW + 5) is True
    assert admin.revoke_key("alice", NOW + 6) is False  # already revoked
    assert admin.revoke_key("carol", NOW + 6) is False
    assert admin.change_key_limits("alice", {"max_concurrent": 1}) is False  # revoked keys stay as they were
    revoked = admin.read_key("alice")
    assert revoked is not None and revoked.revoked_at == NOW + 5 and not revoked.active

    async def read_through_a_handle() -> list[ClientKey]:
        return await (await backend.open()).read_keys()

    assert backend.run(read_through_a_handle) == admin.read_keys()


def test_a_key_name_is_never_reused(backend: StoreUnderTest) -> None:
    backend.admin.add_key(ClientKey("alice", "h1", NOW))
    backend.admin.revoke_key("alice", NOW + 1)
    with pytest.raises(KeyNameTaken):
        backend.admin.add_key(ClientKey("alice", "h2", NOW + 2))
    assert [k.key_hash for k in backend.admin.read_keys()] == ["h1"]


async def admit(
    store: StateBackend,
    worker: int,
    *,
    now: float = NOW,
    key: str = "alice",
    concurrent: int | None = None,
    per_minute: int | None = None,
) -> Admitted | Refused:
    return await store.admit_request(
        key_name=key,
        max_concurrent=concurrent,
        requests_per_minute=per_minute,
        worker_id=worker,
        now=now,
        hold_s=HOLD_S,
    )


def test_a_concurrency_limit_counts_slots_until_released(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        first = await admit(store, worker, concurrent=2)
        second = await admit(store, worker, concurrent=2, now=NOW + 1)
        assert isinstance(first, Admitted) and first.held
        assert isinstance(second, Admitted) and second.held
        assert await admit(store, worker, concurrent=2, now=NOW + 2) == Refused("max_concurrent", 2, 1.0)
        assert isinstance(await admit(store, worker, key="bob", concurrent=2, now=NOW + 2), Admitted)

        assert await store.release_request(first.admission_id, NOW + 3) is True
        assert await store.release_request(first.admission_id, NOW + 3) is False  # idempotent
        assert isinstance(await admit(store, worker, concurrent=2, now=NOW + 4), Admitted)
        assert await admit(store, worker, concurrent=2, now=NOW + 5) == Refused("max_concurrent", 2, 1.0)

    backend.run(scenario)


def test_a_per_minute_limit_waits_for_the_oldest_admission_to_age_out(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        worker = await store.register_worker(os.getpid(), NOW)
        for offset in (0.0, 10.0, 20.0):
            admitted = await admit(store, worker, per_minute=3, now=NOW + offset)
            assert isinstance(admitted, Admitted) and not admitted.held  # no concurrency limit: no slot
        assert await admit(store, worker, per_minute=3, now=NOW + 30.4) == Refused(
            "requests_per_minute", 3, 30.0
        )
        assert isinstance(await admit(store, worker, per_minute=3, now=NOW + WINDOW_S), Admitted)
        # Both limits reached: the per-minute one answers, since waiting for a slot would not help.
        assert isinstance(await admit(store, worker, key="bob", concurrent=1, per_minute=1), Admitted)
        assert await admit(store, worker, key="bob", concurrent=1, per_minute=1, now=NOW + 5) == Refused(
            "requests_per_minute", 1, 55.0
        )

    backend.run(scenario)


def test_slots_of_exited_and_dead_workers_are_freed(backend: StoreUnderTest) -> None:
    async def scenario() -> None:
        store = await backend.open()
        exited = await store.register_worker(os.getpid(), NOW)
        silent = await store.register_worker(os.getpid(), NOW)
        alive = await store.register_worker(os.getpid(), NOW)
        assert isinstance(await admit(store, exited, concurrent=2), Admitted)
        assert isinstance(await admit(store, silent, concurrent=2), Admitted)
        assert await admit(store, alive, concurrent=2) == Refused("max_concurrent", 2, 1.0)
        await store.mark_worker_exited(exited, NOW + 1, 1)
        assert isinstance(await admit(store, alive, concurrent=2, now=NOW + 1), Admitted)
        assert await admit(store, alive, concurrent=2, now=NOW + 1) == Refused("max_concurrent", 2, 1.0)
        later = NOW + DEAD_AFTER_S + 1  # `silent` missed three beats: its slot is free, unlike money
        await store.record_heartbeat(alive, later, 0)
        assert isinstance(await admit(store, alive, concurrent=2, now=later), Admitted)

    backend.run(scenario)


def test_concurrent_admissions_from_several_handles_never_pass_the_limit(backend: StoreUnderTest) -> None:
    async def one_worker(store: StateBackend, worker: int) -> list[Admitted | Refused]:
        return [await admit(store, worker, concurrent=3, per_minute=100) for _ in range(10)]

    async def scenario() -> list[Admitted | Refused]:
        stores = [await backend.open() for _ in range(4)]
        workers = [await s.register_worker(os.getpid(), NOW) for s in stores]
        decisions = await asyncio.gather(*(one_worker(s, w) for s, w in zip(stores, workers, strict=True)))
        return [d for each in decisions for d in each]

    decisions = backend.run(scenario)
    admitted = [d for d in decisions if isinstance(d, Admitted)]
    refused = [d for d in decisions if isinstance(d, Refused)]
    assert len(admitted) == 3  # nobody releases: exactly the limit, whatever the interleaving
    assert len(refused) == 37 and {r.limit for r in refused} == {"max_concurrent"}
