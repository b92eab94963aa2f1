"""The gateway benchmark's table: each number beside its floor, the ratio and PASS/MISS against its target."""

from __future__ import annotations

import statistics
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bench_gateway import BenchPath, Measured, Sizes, StateRun

LATENCY_RATIO, CPU_RATIO, SCALING, RSS_IDLE_MB, RSS_AFTER_MB, READY_S = 1.3, 1.5, 1.8, 60.0, 80.0, 2.0
FREE_FRAMES = 0.25


def _verdict(ok: bool, how: str) -> str:
    return f"PASS ({how})" if ok else f"**MISS** ({how})"


def _quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def _cores(measured: Measured) -> str:
    each = " + ".join(f"{cores:.2f}" for cores in measured.worker_cores)
    return f"{measured.cpu_share:.2f} cores; {each}"


def _workers(count: int) -> str:
    return f"{count} worker{'s' * (count > 1)}"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _ratio_row(title: str, name: str, ours: float, base: float, target: float, unit: str) -> str:
    ratio = ours / base if base > 0 else float("inf")
    over = f"{(ratio / target - 1) * 100:+.0f}% vs ≤ {target}x"
    shown = _ms if unit == "ms" else _us
    return _row(title, name, shown(ours), shown(base), f"{ratio:.2f}x", _verdict(ratio <= target, over))


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def _per_event(measured: Measured, path: BenchPath, events: int) -> float:
    """CPU the stream costs above the same path answered whole, per event the upstream wrote."""
    whole = replace(path, stream=False)
    return (measured.cpu_per_request[path] - measured.cpu_per_request[whole]) / events


def _per_path(
    results: dict[tuple[str, int], Measured], paths: Sequence[BenchPath], events: dict[str, int]
) -> list[str]:
    gateway, floor = results["gateway", 1], results["floor", 1]
    lines = [_row("path", "measure", "gateway", "floor", "gateway / floor", "target"), _row(*["---"] * 6)]
    for path in paths:
        for name, q in (("p50 latency", 0.5), ("p99 latency", 0.99)):
            ours, base = _quantile(gateway.latency[path], q), _quantile(floor.latency[path], q)
            lines.append(_ratio_row(path.title, name, ours, base, LATENCY_RATIO, "ms"))
        ours, base = gateway.cpu_per_request[path], floor.cpu_per_request[path]
        lines.append(_ratio_row(path.title, "CPU / request", ours, base, CPU_RATIO, "ms"))
        if path.stream and replace(path, stream=False) in gateway.cpu_per_request:
            count = events[path.upstream]
            ours, base = _per_event(gateway, path, count), _per_event(floor, path, count)
            lines.append(
                _ratio_row(path.title, f"CPU / streamed event ({count})", ours, base, CPU_RATIO, "us")
            )
    return lines


def _scale(results: dict[tuple[str, int], Measured]) -> list[str]:
    lines = [_row("measure", "gateway", "floor", "gateway / floor", "target"), _row(*["---"] * 5)]
    for workers in (1, 2):
        ours, base = results["gateway", workers], results["floor", workers]
        lines.append(
            _row(
                f"requests/s, {_workers(workers)} (server CPU in use: all, per worker)",
                f"{ours.rps:,.0f} ({_cores(ours)})",
                f"{base.rps:,.0f} ({_cores(base)})",
                f"{ours.rps / base.rps:.2f}x",
                "",
            )
        )
    ours = results["gateway", 2].rps / results["gateway", 1].rps
    base = results["floor", 2].rps / results["floor", 1].rps
    lines.append(
        _row(
            "2 workers / 1 worker, requests/s",
            f"{ours:.2f}x",
            f"{base:.2f}x",
            "",
            _verdict(ours >= SCALING, f"{(ours / SCALING - 1) * 100:+.0f}% vs ≥ {SCALING}x"),
        )
    )
    for workers in (1, 2):
        ours, base = results["gateway", workers], results["floor", workers]
        idle, after = max(ours.rss_idle), max(ours.rss_after)
        lines.append(
            _row(
                f"RSS per worker idle, {_workers(workers)} (largest)",
                f"{idle:.1f} MB",
                f"{max(base.rss_idle):.1f} MB",
                f"{idle / max(base.rss_idle):.2f}x",
                _verdict(idle <= RSS_IDLE_MB, f"≤ {RSS_IDLE_MB:.0f} MB"),
            )
        )
        lines.append(
            _row(
                f"RSS per worker after {ours.requests_before_rss:,} requests, {_workers(workers)}",
                f"{after:.1f} MB",
                f"{max(base.rss_after):.1f} MB",
                f"{after / max(base.rss_after):.2f}x",
                _verdict(after <= RSS_AFTER_MB, f"≤ {RSS_AFTER_MB:.0f} MB"),
            )
        )
    for workers in (1, 2):
        ours, base = results["gateway", workers], results["floor", workers]
        lines.append(
            _row(
                f"start → first 200 on /healthz, {_workers(workers)}",
                f"{ours.ready_s:.2f} s",
                f"{base.ready_s:.2f} s",
                f"{ours.ready_s / base.ready_s:.2f}x",
                _verdict(ours.ready_s < READY_S, f"< {READY_S:.0f} s"),
            )
        )
    return lines


def _state(states: list[StateRun]) -> list[str]:
    lines = [
        _row(
            "provider",
            "profile",
            "bytes / 1,000 requests",
            "idle baseline, same time",
            "write calls, load / idle",
            "WAL frames / request above idle",
            "target",
        ),
        _row(*["---"] * 7),
    ]
    for run in states:
        per_thousand = run.load.bytes * 1000 / run.requests
        idle_per_thousand = run.idle.bytes * 1000 / run.requests
        # A transaction writes at least one WAL frame (a page and its 24-byte header), so a write per
        # request is at least one frame per request; timed batches (once a second) are far fewer.
        frames = (run.load.bytes - run.idle.bytes) / (run.page_size + 24) / run.requests
        target = ""
        if run.provider == "free":
            target = _verdict(frames < FREE_FRAMES, f"< {FREE_FRAMES} frames / request")
        lines.append(
            _row(
                run.provider,
                run.profile,
                f"{per_thousand:,.0f}",
                f"{idle_per_thousand:,.0f}",
                f"{run.load.calls:,} / {run.idle.calls:,}",
                f"{frames:.3f}",
                target,
            )
        )
    return lines


def render(
    machine: str,
    stack: str,
    sizes: Sizes,
    paths: Sequence[BenchPath],
    events: dict[str, int],
    results: dict[tuple[str, int], Measured],
    states: list[StateRun],
) -> str:
    lines = [
        f"Machine: {machine}",
        f"Server stack, gateway and floor alike: {stack}",
        "Upstream client: the floor's is httpx's AsyncClient (over httpcore and anyio's sockets), as a "
        "plain passthrough is written; the gateway's is httpcore's pool called directly, over asyncio "
        "sockets of its own.",
        f"Latency: {sizes.latency:,} sequential requests per path on one keep-alive connection after "
        f"{sizes.warmup:,} warm-up, 1 worker, gateway and floor alternating in 10 blocks. "
        "CPU: utime+stime of every server process / requests. CPU / streamed event: a streamed "
        "path's CPU / request minus the same path's answered whole, over the SSE events the upstream "
        "wrote (each in its own write; in brackets).",
        f"Throughput: Anthropic passthrough, 2 client processes x 8 keep-alive connections, "
        f"{sizes.throughput_s:g} s in 2 alternating blocks, each after 1 s warm-up; the clients and the "
        "upstream share the cores.",
        "",
        *_per_path(results, paths, events),
        "",
        *_scale(results),
    ]
    if states:
        seconds = statistics.mean(run.seconds for run in states)
        lines += [
            "",
            f"State directory writes ({states[0].requests:,} sequential requests, 1 worker under strace, "
            f"~{seconds:.1f} s per run): bytes passed to write/pwrite on files under the state directory "
            "while the requests ran, and in the same length of idle time right after.",
            "",
            *_state(states),
        ]
    return "\n".join(lines)
