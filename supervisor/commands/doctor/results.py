"""What `doctor` observed and what it concluded: probe answers in, one :class:`CheckResult` per line out.

A result on a problem carries ``fix``: the config entry, command or setting that would make it OK.
Messages from upstreams arrive here with the provider's key already cut out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from coderouter_supervisor.worker.config import ProviderConfig

Verdict = Literal["OK", "WARN", "FAIL", "SKIP"]
FailureKind = Literal["unreachable", "timeout", "http", "bad-answer", "mid-stream"]

_RANK: dict[Verdict, int] = {"SKIP": 0, "OK": 0, "WARN": 1, "FAIL": 2}


@dataclass(frozen=True)
class CheckResult:
    check: str
    verdict: Verdict
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class ProbeFailure:
    """Why a probe got no usable answer; ``message`` is the upstream's text, key already cut out."""

    kind: FailureKind
    message: str
    status: int | None = None


@dataclass(frozen=True)
class Answer:
    """One request's outcome: the JSON object answered, or the failure."""

    payload: dict[str, Any] | None = None
    failure: ProbeFailure | None = None


@dataclass(frozen=True)
class StreamAnswer:
    """A streamed request's outcome: the JSON payloads of its events, in order, and how it ended."""

    events: tuple[dict[str, Any], ...] = ()
    saw_done: bool = False
    failure: ProbeFailure | None = None


@dataclass(frozen=True)
class Observed:
    """Every probe answer for one provider; ``None`` for a probe that was not sent."""

    plain: Answer | None = None
    models: Answer | None = None
    stream: StreamAnswer | None = None
    tools: Answer | None = None
    show: Answer | None = None


def worst(results: Iterable[CheckResult]) -> Verdict:
    """FAIL over WARN over OK; SKIP counts as OK (a skipped probe's cause has its own line)."""
    return max((r.verdict for r in results), key=lambda v: _RANK[v], default="OK")


def entry(provider: ProviderConfig, text: str) -> str:
    """A config entry as the fix names it: ``capabilities: {tools: false}`` of provider ``ollama``."""
    return f"`{text}` on provider {provider.name}"


def failure_text(failure: ProbeFailure) -> str:
    if failure.status is not None:
        return f"HTTP {failure.status}: {failure.message}"
    return failure.message


def is_auth_failure(failure: ProbeFailure | None) -> bool:
    return failure is not None and failure.kind == "http" and failure.status in (401, 403)


def is_model_failure(failure: ProbeFailure | None) -> bool:
    """A 404, or a 400 whose message is about the model (OpenRouter: "... is not a valid model ID")."""
    if failure is None or failure.kind != "http":
        return False
    text = failure.message.lower()
    return failure.status == 404 or (failure.status == 400 and "model" in text)


def probing_stops(failure: ProbeFailure | None) -> bool:
    """After this failure of the plain probe, further probes would only repeat it."""
    return (failure is not None and failure.kind in ("unreachable", "timeout")) or is_auth_failure(failure)


def render_section(title: str, results: Sequence[CheckResult]) -> list[str]:
    lines = [title]
    for result in results:
        lines.append(f"  {result.verdict:<4}  {result.check:<15} {result.detail}")
        if result.fix and result.verdict in ("WARN", "FAIL"):
            lines.append(f"  {'':<4}  {'':<15} fix: {result.fix}")
    return lines


def render_summary(results: Sequence[CheckResult]) -> str:
    counts = {v: sum(1 for r in results if r.verdict == v) for v in ("OK", "WARN", "FAIL", "SKIP")}
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n) + f": {worst(results)}"
