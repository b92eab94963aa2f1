"""Try providers in order until one succeeds, before any byte reaches the client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from coderouter_supervisor.worker.errors import (
    ContextOverflow,
    MidStreamFailure,
    NoProviderLeft,
    UpstreamConnectError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamOutOfMemory,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.providers.call import ProviderCall
from coderouter_supervisor.worker.telemetry import emit_event

T = TypeVar("T")


@dataclass(frozen=True)
class FailedAttempt:
    provider: str
    error: UpstreamError

    @property
    def reason(self) -> str:
        """A short token for headers and events: ``connect``, ``timeout``, ``http-429``, …"""
        if isinstance(self.error, UpstreamHTTPError):
            return f"http-{self.error.upstream_status}"
        for kind, token in _REASONS:
            if isinstance(self.error, kind):
                return token
        return "error"


_REASONS: tuple[tuple[type[UpstreamError], str], ...] = (
    (ContextOverflow, "context-overflow"),
    (UpstreamOutOfMemory, "out-of-memory"),
    (UpstreamTimeout, "timeout"),
    (UpstreamConnectError, "connect"),
    (MidStreamFailure, "stream-broken"),
)


async def first_success(
    calls: Sequence[ProviderCall], attempt: Callable[[ProviderCall], Awaitable[T]]
) -> tuple[T, ProviderCall, tuple[FailedAttempt, ...]]:
    """The first provider's result that did not fail, with the failures before it.

    A failure that is not retryable ends the chain. Raises :class:`NoProviderLeft`
    (carrying every attempt's error) when no provider succeeded.
    """
    failures: list[FailedAttempt] = []
    for call in calls:
        try:
            result = await attempt(call)
        except UpstreamError as error:
            failed = FailedAttempt(call.name, error)
            failures.append(failed)
            emit_event(
                "provider-failed",
                "warning",
                provider=call.name,
                reason=failed.reason,
                status=error.status,
                retryable=error.retryable,
                error=error.message,
            )
            if not error.retryable:
                break
            continue
        return result, call, tuple(failures)
    tried = ", ".join(f"{f.provider} ({f.reason})" for f in failures) or "none (every provider was skipped)"
    raise NoProviderLeft(
        f"no provider could serve the request; tried: {tried}", errors=tuple(f.error for f in failures)
    )
