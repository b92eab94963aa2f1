"""What the shared state costs a request, in microseconds: ``python tests/bench/bench_state.py``.

Runs the worker's real state path (``SharedFacts`` over ``StateBackend`` on a real WAL file) the way
one request uses it: read the chain's facts, then for a free provider record a success (an
observation, batched), for a budgeted one reserve before and settle after. Each "worker" is its own
process with its own connection and state thread, all on one state file, like gunicorn's workers.
Not part of the test run; the numbers go in README's performance section.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

from coderouter_supervisor.state import (
    open_state,
    sqlite_library_version,
    state_admin,
)
from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig
from coderouter_supervisor.worker.telemetry import AttemptRecorder, RequestShape, SharedFacts
from coderouter_supervisor.worker.translate import InputBound, TokenUsage, UsageReport

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


async def _run(path: Path, provider: ProviderConfig, requests: int) -> list[float]:
    store = await open_state(path)
    worker_id = await store.register_worker(multiprocessing.current_process().pid or 0, time.time())
    await store.record_heartbeat(worker_id, time.time(), 0)
    facts = SharedFacts(store, lambda: worker_id)
    await facts.start()
    samples: list[float] = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            await facts.snapshot(PROFILE.providers, time.time(), observations=PROFILE.adaptive)
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


def _worker(path: str, budgeted: bool, requests: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    logging.getLogger("coderouter").disabled = True  # events are not what is measured
    out.put(asyncio.run(_run(Path(path), BUDGETED if budgeted else FREE, requests)))


def measure(workers: int, budgeted: bool, requests: int) -> tuple[float, float, float]:
    """(median µs, p95 µs, requests per second over all workers)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.db"
        state_admin(path).migrate()
        ctx = multiprocessing.get_context("spawn")
        out: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
        procs = [
            ctx.Process(target=_worker, args=(str(path), budgeted, requests, out)) for _ in range(workers)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per worker")
    args = parser.parse_args()
    version = sqlite_library_version()
    print(f"state-layer cost per request (SQLite {version}, {args.requests} requests per worker)")
    print(f"{'provider':<10} {'workers':>7} {'median µs':>10} {'p95 µs':>10} {'req/s (all)':>12}")
    for budgeted in (False, True):
        for workers in (1, 4):
            median, p95, rate = measure(workers, budgeted, args.requests)
            name = "budgeted" if budgeted else "free"
            print(f"{name:<10} {workers:>7} {median:>10.0f} {p95:>10.0f} {rate:>12.0f}")


if __name__ == "__main__":
    main()
