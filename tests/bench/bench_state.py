"""What the shared state costs a request, in microseconds: ``python tests/bench/bench_state.py``.

Runs the worker's real state path (``FactCache`` over ``StateBackend``) the way one request uses it:
read the chain's facts, then for a free provider record a success (an observation, batched), for a
budgeted one reserve before and settle after. Each "worker" is its own process with its own
connection and state thread, all on one store, like gunicorn's workers. Each backend gets a fresh
store per measurement: a WAL file for SQLite, a new database on a throwaway local PostgreSQL server
(tests/support/postgres.py; over loopback TCP, so a LAN adds its round trips). Not part of the test
run; the numbers go in README's performance section.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from coderouter_supervisor.state import (
    StateLocation,
    open_state,
    sqlite_library_version,
    state_admin,
)
from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.engine import AttemptRecorder, FactCache
from coderouter_supervisor.worker.money import RequestShape
from coderouter_supervisor.worker.translate import InputBound, TokenUsage, UsageReport

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.postgres import PostgresServer, postgres_server

# A fresh, never-migrated store of one backend for each measurement.
FreshStore = Callable[[], contextlib.AbstractContextManager[StateLocation]]

FREE = ProviderConfig(name="local", base_url="http://127.0.0.1:11434/v1", model="m")
BUDGETED = ProviderConfig.model_validate(
    {
        "name": "claude",
        "kind": "anthropic",
        "base_url": "https://api.anthropic.com",
        "model": "claude-sonnet-4-6",
        "cost": {"input_tokens_per_million": 3, "output_tokens_per_million": 15, "monthly_budget_usd": 1e9},
    }
)
PROFILE = ProfileConfig(name="bench", providers=("local", "claude"), backend_health_action="warn")
SHAPE = RequestShape(input=InputBound(2000), max_tokens=1024, streaming=True, cache_control=False)
USAGE = UsageReport(TokenUsage(input_tokens=1800, output_tokens=300), final=True)


async def _run(location: StateLocation, provider: ProviderConfig, requests: int) -> list[float]:
    store = await open_state(location)
    worker_id = await store.register_worker(multiprocessing.current_process().pid or 0, time.time())
    await store.record_heartbeat(worker_id, time.time(), 0)
    facts = FactCache(store, lambda: worker_id)
    await facts.start()
    samples: list[float] = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            await facts.read_chain_facts(PROFILE.providers, time.time(), observations=PROFILE.adaptive)
            recorder = AttemptRecorder(facts, PROFILE, SHAPE)
            await recorder.admit(provider)
            await recorder.succeeded(provider, USAGE)
            samples.append((time.perf_counter() - started) * 1e6)
            if len(samples) % 200 == 0:  # keep the heartbeat fresh, as the worker's beat task does
                await store.record_heartbeat(worker_id, time.time(), len(samples))
    finally:
        await facts.stop()
        await store.close()
    return samples


def _worker(location: StateLocation, budgeted: bool, requests: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    logging.getLogger("coderouter").disabled = True  # events are not what is measured
    out.put(asyncio.run(_run(location, BUDGETED if budgeted else FREE, requests)))


@contextlib.contextmanager
def sqlite_file() -> Iterator[StateLocation]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "state.db"


def postgres_databases(server: PostgresServer) -> FreshStore:
    numbers = itertools.count(1)

    @contextlib.contextmanager
    def fresh() -> Iterator[StateLocation]:
        name = f"bench_{next(numbers)}"
        server.create_database(name)
        yield server.url().rsplit("/", 1)[0] + f"/{name}"

    return fresh


def measure(fresh: FreshStore, workers: int, budgeted: bool, requests: int) -> tuple[float, float, float]:
    """(median µs, p95 µs, requests per second over all workers)."""
    with fresh() as location:
        state_admin(location).migrate()
        ctx = multiprocessing.get_context("spawn")
        out: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
        procs = [
            ctx.Process(target=_worker, args=(location, budgeted, requests, out)) for _ in range(workers)
        ]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        samples = [s for _ in procs for s in out.get()]
        for proc in procs:
            proc.join()
        elapsed = time.perf_counter() - started
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)], len(samples) / elapsed


def report(backend: str, fresh: FreshStore, requests: int) -> None:
    for budgeted in (False, True):
        for workers in (1, 4):
            median, p95, rate = measure(fresh, workers, budgeted, requests)
            name = "budgeted" if budgeted else "free"
            print(
                f"{backend:<22} {name:<10} {workers:>7} {median:>10.0f} {p95:>10.0f} {rate:>12.0f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per worker")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), action="append", help="default: both, SQLite first"
    )
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    print(f"state-layer cost per request ({args.requests} requests per worker)")
    columns = ("backend", "provider", "workers", "median µs", "p95 µs", "req/s (all)")
    print("{:<22} {:<10} {:>7} {:>10} {:>10} {:>12}".format(*columns))
    started = time.monotonic()
    if "sqlite" in backends:
        report(f"SQLite {sqlite_library_version()}", sqlite_file, args.requests)
    if "postgresql" in backends:
        with postgres_server() as server:
            version = state_admin(server.url()).describe().engine_version.split()[0]
            report(f"PostgreSQL {version}", postgres_databases(server), args.requests)
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
