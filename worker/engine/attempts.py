"""Try providers in order until one succeeds, before any byte reaches the client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import (
    ContextOverflow,
    MidStreamFailure,
    NoProviderLeft,
    UpstreamAnswerTooLarge,
    UpstreamConnectError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamOutOfMemory,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.money import BUDGET_HINT, NotAdmitted
from coderouter_supervisor.worker.providers import ProviderCall
from coderouter_supervisor.worker.telemetry import emit_event
from coderouter_supervisor.worker.translate import UsageReport

T = TypeVar("T")


@dataclass(frozen=True)
class FailedAttempt:
    """A provider that did not serve the request: it failed (``error``), was skipped (``skipped``), or
    was put behind others (``deferred``: it is tried later, when those fail)."""

    provider: str
    error: UpstreamError | None = None
    skipped: str | None = None
    detail: str | None = None  # why it was skipped, when the reason alone does not say
    deferred: str | None = None

    @property
    def reason(self) -> str:
        """A short token for headers and events: ``connect``, ``timeout``, ``http-429``, ``budget``, …"""
        if self.deferred is not None:
            return self.deferred
        if self.error is None:
            return self.skipped or "skipped"
        if isinstance(self.error, UpstreamHTTPError):
            return f"http-{self.error.upstream_status}"
        for kind, token in _REASONS:
            if isinstance(self.error, kind):
                return token
        return "error"

    @property
    def verb(self) -> str:
        if self.deferred is not None:
            return "deferred"
        return "failed" if self.error is not None else "skipped"

    @property
    def chain_entry(self) -> str:
        """This attempt in the ``X-CodeRouter-Fallback-Chain`` header: ``name;failed=connect``."""
        return f"{self.provider};{self.verb}={self.reason}"


_REASONS: tuple[tuple[type[UpstreamError], str], ...] = (
    (ContextOverflow, "context-overflow"),
    (UpstreamOutOfMemory, "out-of-memory"),
    (UpstreamTimeout, "timeout"),
    (UpstreamAnswerTooLarge, "answer-too-large"),
    (UpstreamConnectError, "connect"),
    (MidStreamFailure, "stream-broken"),
)


class AttemptObserver(Protocol):
    """Told about every attempt; decides whether a provider may be tried (its budget)."""

    async def admit(self, provider: ProviderConfig) -> NotAdmitted | None:
        """None when ``provider`` may be tried now, else why it is skipped."""

    async def failed(self, provider: ProviderConfig, error: UpstreamError) -> None: ...

    async def succeeded(self, provider: ProviderConfig, usage: UsageReport | None) -> None: ...


async def first_success(
    calls: Sequence[ProviderCall],
    attempt: Callable[[ProviderCall], Awaitable[T]],
    observer: AttemptObserver,
    *,
    usage_of: Callable[[T], UsageReport | None],
    skipped: Sequence[FailedAttempt] = (),
) -> tuple[T, ProviderCall, tuple[FailedAttempt, ...]]:
    """The first provider's result that did not fail, with the skips and failures before it.

    Every upstream failure before the first byte moves on to the next provider (a 400, 401 or
    404 is about that provider's key, model or quirks, not the request); only an error marked
    not retryable ends the chain. ``usage_of`` reads a result's usage (None for a stream, which
    is settled when it ends). Raises :class:`NoProviderLeft` carrying every attempt's error.
    """
    passed: list[FailedAttempt] = list(skipped)
    for call in calls:
        refused = await observer.admit(call.provider)
        if refused is not None:
            passed.append(FailedAttempt(call.name, skipped=refused.reason, detail=refused.detail))
            continue
        try:
            result = await attempt(call)
        except UpstreamError as error:
            passed.append(FailedAttempt(call.name, error))
            emit_event(
                "provider-failed",
                "warning",
                provider=call.name,
                reason=passed[-1].reason,
                status=error.status,
                retryable=error.retryable,
                error=error.message[:500],
            )
            await observer.failed(call.provider, error)
            if not error.retryable:
                break
            continue
        await observer.succeeded(call.provider, usage_of(result))
        return result, call, tuple(passed)
    errors = tuple(f.error for f in passed if f.error is not None)
    chain = tuple(f.chain_entry for f in passed)
    passed = [f for f in passed if f.deferred is None]  # each of those was tried (or skipped) later
    tried = ", ".join(f"{f.provider} ({f.reason})" for f in passed) or "none"
    unusable = next((f.detail for f in passed if f.skipped == "state-unavailable"), None)
    if unusable is not None:
        # Not a spent budget: the budget could not be checked, so its providers were not tried.
        emit_event(
            "chain-state-unavailable",
            "warning",
            profile=calls[0].profile.name if calls else None,
            blocked_providers=[f.provider for f in passed if f.skipped == "state-unavailable"],
            error=unusable,
        )
        raise NoProviderLeft(
            f"no provider could serve the request; tried: {tried}. Providers with a budget are skipped "
            f"while the state file is unusable: {unusable}",
            errors=errors,
            chain=chain,
        )
    message = f"no provider could serve the request; tried: {tried}"
    if passed and all(f.skipped == "budget" for f in passed):
        emit_event(
            "chain-budget-exceeded",
            "warning",
            profile=calls[0].profile.name if calls else None,
            blocked_providers=[f.provider for f in passed],
            hint=BUDGET_HINT,
        )
        message += f": {BUDGET_HINT}"
    raise NoProviderLeft(message, errors=errors, chain=chain)
