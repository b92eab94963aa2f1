"""What the gateway costs next to the thinnest possible passthrough: ``python tests/bench/bench_gateway.py``.

One run on one machine, against a canned loopback upstream (``canned_upstream.py``), measures the
gateway (``coderouter-supervisor start``) and the floor (``floor_app.py``, Starlette + httpx
forwarding the same bytes) under the same server — plain uvicorn for one worker, gunicorn with
uvicorn workers for two — and prints every number beside its floor and its target:

* per path (every client protocol by upstream kind, each streamed and not): p50/p99 latency of
  sequential keep-alive requests, and CPU time per request (utime + stime of every server process:
  supervisor, arbiter and workers); for a streamed path also CPU per streamed event: what the stream
  costs above the same path's non-streamed answer, over the events the upstream wrote (it writes
  each event on its own, ``--events`` content deltas per answer, as a model emits tokens);
* requests/s with 1 and 2 workers (concurrent keep-alive connections from separate client processes,
  which share the machine's cores with the servers and the upstream: the report shows it);
* RSS per worker idle and after 10,000 requests; time from spawning ``start`` to the first 200 on
  ``/healthz``;
* bytes written to the state directory per 1,000 requests, free and budgeted provider, ``default``
  and ``low_write`` profiles (see ``state_writes.py`` for how they are counted).

The report names the server stack (event loop, HTTP parser), the same for gateway and floor.
``--quick`` is a smoke run (a few hundred requests per measurement). Not part of the test run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import canned_upstream
import http_load
import report
import servers
import state_writes
from http_load import Call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.configs import providers_yaml


@dataclass(frozen=True)
class BenchPath:
    """One measured path: what the client speaks, what the upstream speaks, streamed or not."""

    client: str  # a key of CLIENT_ENDPOINTS
    upstream: str  # a key of UPSTREAM_PROFILES; also the floor's route
    stream: bool

    @property
    def name(self) -> str:
        return f"{self.client}-{self.upstream}{'-stream' if self.stream else ''}"

    @property
    def title(self) -> str:
        route = CLIENT_TITLES[self.client] + (
            " passthrough"
            if self.client == self.upstream
            else f" → {CLIENT_TITLES.get(self.upstream, self.upstream)}"
        )
        return route + (", streamed" if self.stream else "")


ANTHROPIC_BODY = {
    "model": "bench-model",
    "max_tokens": 256,
    "messages": [{"role": "user", "content": "Write a haiku about loopback interfaces."}],
}
OPENAI_BODY = {
    "model": "bench-model",
    "max_tokens": 256,
    "messages": [{"role": "user", "content": "Write a haiku about loopback interfaces."}],
}
# As Codex sends it (Codex always streams; the whole answer is measured too): reasoning's encrypted
# content asked for, nothing stored.
RESPONSES_BODY = {
    "model": "bench-model",
    "store": False,
    "include": ["reasoning.encrypted_content"],
    "max_output_tokens": 256,
    "input": [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Write a haiku about loopback interfaces."}],
        }
    ],
}
ANTHROPIC_HEADERS = {"anthropic-version": "2023-06-01", "x-api-key": "sk-bench"}
OPENAI_HEADERS = {"authorization": "Bearer sk-bench"}

# Client protocols: (gateway path, request body, headers). A new protocol is a row here and one in
# CLIENT_TITLES; its paths are then measured against every upstream kind.
CLIENT_ENDPOINTS: dict[str, tuple[str, dict[str, object], dict[str, str]]] = {
    "anthropic": ("/v1/messages", ANTHROPIC_BODY, ANTHROPIC_HEADERS),
    "openai": ("/v1/chat/completions", OPENAI_BODY, OPENAI_HEADERS),
    "responses": ("/v1/responses", RESPONSES_BODY, OPENAI_HEADERS),
}
CLIENT_TITLES = {"anthropic": "Anthropic", "openai": "OpenAI", "responses": "Responses"}
# Upstream kinds: the gateway profile whose only provider is of that kind (see gateway_config), and
# the canned upstream's endpoint for it.
UPSTREAM_PROFILES = {"anthropic": "anthropic", "openai": "openai", "responses": "responses"}
UPSTREAM_ENDPOINTS = {
    "anthropic": b"/v1/messages",
    "openai": b"/v1/chat/completions",
    "responses": b"/v1/responses",
}
PATHS = tuple(
    BenchPath(client, upstream, stream)
    for stream in (False, True)
    for client in CLIENT_ENDPOINTS
    for upstream in UPSTREAM_PROFILES
)
THROUGHPUT_PATH = BenchPath("anthropic", "anthropic", stream=False)


@dataclass(frozen=True)
class Sizes:
    warmup: int
    latency: int
    throughput_s: float
    rss_after: int
    state_requests: int

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        return cls(50, 200, 1.0, 1000, 200) if quick else cls(100, 3000, 5.0, 10_000, 500)


def _body(path: BenchPath) -> dict[str, object]:
    body = CLIENT_ENDPOINTS[path.client][1]
    return {**body, "stream": True} if path.stream else body


def gateway_call(port: int, path: BenchPath, profile: str = "") -> Call:
    endpoint, _, headers = CLIENT_ENDPOINTS[path.client]
    profile = profile or UPSTREAM_PROFILES[path.upstream]
    return Call.post(port, endpoint, _body(path), {"x-coderouter-profile": profile, **headers})


def floor_call(port: int, path: BenchPath) -> Call:
    return Call.post(port, f"/{path.upstream}", _body(path), CLIENT_ENDPOINTS[path.client][2])


def gateway_config(upstream: int, write_profile: str = "default") -> str:
    root = f"http://127.0.0.1:{upstream}"
    providers = [
        {
            "name": "anth",
            "kind": "anthropic",
            "base_url": root,
            "model": "bench-model",
            "api_key_env": "BENCH_KEY",
        },
        {"name": "oai", "base_url": f"{root}/v1", "model": "bench-model"},
        {
            "name": "oai-responses",
            "kind": "openai_responses",
            "base_url": f"{root}/v1",
            "model": "bench-model",
        },
        {
            "name": "anth-paid",
            "kind": "anthropic",
            "base_url": root,
            "model": "bench-model",
            "api_key_env": "BENCH_KEY",
            "cost": {
                "input_tokens_per_million": 3,
                "output_tokens_per_million": 15,
                "monthly_budget_usd": 1e9,
            },
        },
    ]
    profiles = {
        "anthropic": ["anth"],
        "openai": ["oai"],
        "responses": ["oai-responses"],
        "paid": ["anth-paid"],
    }
    return providers_yaml(providers, profiles, allow_paid=True, supervisor={"profile": write_profile})


@dataclass
class Measured:
    """One server kind (gateway or floor) at one worker count."""

    ready_s: float = 0.0
    rss_idle: list[float] = field(default_factory=list)
    rss_after: list[float] = field(default_factory=list)
    requests_before_rss: int = 0
    latency: dict[BenchPath, list[float]] = field(default_factory=dict)
    cpu_per_request: dict[BenchPath, float] = field(default_factory=dict)
    rps: float = 0.0
    cpu_share: float = 0.0  # server CPU-seconds per wall second during the throughput run
    worker_cores: list[float] = field(default_factory=list)  # the same, each worker


ROUNDS = 10  # latency and throughput alternate between gateway and floor in this many blocks


def measure_pair(served: dict[str, servers.Served], sizes: Sizes, latency: bool) -> dict[str, Measured]:
    """Gateway and floor, both running, measured in alternating blocks so drift in the machine's
    speed (a VM's neighbours, CPU frequency) lands on both alike."""
    calls = {
        "gateway": {path: gateway_call(served["gateway"].port, path) for path in PATHS},
        "floor": {path: floor_call(served["floor"].port, path) for path in PATHS},
    }
    results = {kind: Measured(ready_s=server.ready_s) for kind, server in served.items()}
    time.sleep(1.0)  # let start-up work (first heartbeat, probes) finish before "idle"
    for kind, server in served.items():
        results[kind].rss_idle = [servers.rss_mb(pid) for pid in server.worker_pids()]
    sent = dict.fromkeys(served, 0)
    order = list(served)
    if latency:
        block = sizes.latency // ROUNDS
        for path in PATHS:
            cpu = dict.fromkeys(served, 0.0)
            for kind, server in served.items():
                http_load.sequential(server.port, calls[kind][path], sizes.warmup)
                results[kind].latency[path] = []
            for _ in range(ROUNDS):
                order.reverse()
                for kind in order:
                    pids = served[kind].pids()
                    before = servers.cpu_seconds(pids)
                    results[kind].latency[path] += http_load.sequential(
                        served[kind].port, calls[kind][path], block
                    )
                    cpu[kind] += servers.cpu_seconds(pids) - before
            for kind in served:
                results[kind].cpu_per_request[path] = cpu[kind] / (block * ROUNDS)
                sent[kind] += sizes.warmup + block * ROUNDS
    done = dict.fromkeys(served, 0)
    cpu = dict.fromkeys(served, 0.0)
    wall = dict.fromkeys(served, 0.0)
    each = {kind: [0.0] * server.workers for kind, server in served.items()}
    for _ in range(2):  # two blocks each: long enough to stay out of connection start-up
        order.reverse()
        for kind in order:
            server = served[kind]
            pids, workers = server.pids(), server.worker_pids()
            before, started = servers.cpu_seconds(pids), time.perf_counter()
            was = [servers.cpu_seconds([pid]) for pid in workers]
            count = http_load.throughput(
                server.port, calls[kind][THROUGHPUT_PATH], 2, 8, 1.0, sizes.throughput_s / 2
            )
            wall[kind] += time.perf_counter() - started
            cpu[kind] += servers.cpu_seconds(pids) - before
            for index, pid in enumerate(workers):
                each[kind][index] += servers.cpu_seconds([pid]) - was[index]
            done[kind] += count
            sent[kind] += int(count * (1 + 2 / sizes.throughput_s))  # the warm-up second's requests count too
    for kind, server in served.items():
        result = results[kind]
        result.rps = done[kind] / sizes.throughput_s
        result.cpu_share = cpu[kind] / wall[kind]
        result.worker_cores = [seconds / wall[kind] for seconds in each[kind]]
        while sent[kind] < sizes.rss_after:
            sent[kind] += http_load.throughput(server.port, calls[kind][THROUGHPUT_PATH], 2, 8, 0.0, 1.0)
        result.requests_before_rss = sent[kind]
        result.rss_after = [servers.rss_mb(pid) for pid in server.worker_pids()]
    return results


@dataclass(frozen=True)
class StateRun:
    provider: str
    profile: str
    requests: int
    page_size: int
    load: state_writes.Window
    idle: state_writes.Window
    seconds: float


def measure_state_writes(folder: Path, upstream: int, provider: str, profile: str, requests: int) -> StateRun:
    run_dir = folder / f"state-{provider}-{profile}"
    trace = run_dir / "strace.log"
    run_dir.mkdir(parents=True)
    served = servers.start_gateway(
        run_dir, gateway_config(upstream, profile), 1, prefix=state_writes.strace_prefix(trace)
    )
    try:
        call = gateway_call(served.port, THROUGHPUT_PATH, "paid" if provider == "budgeted" else "anthropic")
        http_load.sequential(served.port, call, 20)
        time.sleep(2.5)  # start-up writes (migrations, registration, first beats) are not per-request
        start = time.time()
        http_load.sequential(served.port, call, requests)
        end = time.time()
        time.sleep(end - start)
    finally:
        served.stop()
    writes = state_writes.parse(trace, run_dir / "state")
    seconds = end - start
    with contextlib.closing(sqlite3.connect(run_dir / "state" / "state.db")) as db:
        page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
    return StateRun(
        provider,
        profile,
        requests,
        page_size,
        state_writes.window(writes, start, end),
        state_writes.window(writes, end, end + seconds),
        seconds,
    )


def stream_events(content_events: int) -> dict[str, int]:
    """SSE events in one streamed answer, per upstream kind: the content deltas and the framing."""
    answers = canned_upstream.answers(content_events)
    return {kind: len(answers[endpoint, True]) for kind, endpoint in UPSTREAM_ENDPOINTS.items()}


def server_stack() -> str:
    """What uvicorn's ``loop="auto"`` and ``http="auto"`` pick here, for gateway and floor alike."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("uvicorn", "gunicorn", "starlette", "httpx", "httpcore", "uvloop", "httptools")
        if importlib.util.find_spec(name)
    )
    return f"uvicorn, loop {loop}, HTTP parser {http} ({versions})"


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.lower().startswith(("model name", "hardware")):
            model = line.split(":", 1)[1].strip()
            break
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    for line in lscpu.splitlines():
        if model == "unknown CPU" and line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    return (
        f"{model}, {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: a few hundred requests each")
    parser.add_argument("--skip-state", action="store_true", help="leave out the state-directory writes")
    parser.add_argument(
        "--events",
        type=int,
        default=canned_upstream.DEFAULT_EVENTS,
        help="content events in each streamed answer (default %(default)s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, strace output)")
    args = parser.parse_args()
    sizes = Sizes.of(args.quick)
    folder = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    upstream, upstream_port = servers.start_upstream(folder, args.events)
    results: dict[tuple[str, int], Measured] = {}
    states: list[StateRun] = []
    try:
        for workers in (1, 2):
            served: dict[str, servers.Served] = {}
            try:
                served["floor"] = servers.start_floor(folder, upstream_port, workers)
                served["gateway"] = servers.start_gateway(
                    folder / f"gateway-{workers}", gateway_config(upstream_port), workers
                )
                for kind, measured in measure_pair(served, sizes, latency=workers == 1).items():
                    results[kind, workers] = measured
            finally:
                for server in served.values():
                    server.stop()
        if not args.skip_state and shutil.which("strace") is None:
            print("strace not found: state-directory writes are left out", file=sys.stderr)
        elif not args.skip_state:
            for provider in ("free", "budgeted"):
                for profile in ("default", "low_write"):
                    states.append(
                        measure_state_writes(folder, upstream_port, provider, profile, sizes.state_requests)
                    )
    finally:
        upstream.terminate()
        upstream.wait(5)
    print(report.render(machine(), server_stack(), sizes, PATHS, stream_events(args.events), results, states))
    if args.keep:
        print(f"\nrun folder: {folder}")


if __name__ == "__main__":
    main()
