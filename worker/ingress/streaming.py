"""A streamed answer: wait briefly for a provider, then commit to a 200 and keep the client company.

Providers are tried (``first_success``) in a task. If one is streaming within ``PING_INTERVAL_S`` the
response starts normally, with the provider in its headers, and a failure before that still gets a
plain error status. Otherwise the response is committed with only the profile in its headers and pings
flow while the attempts go on: a local backend loading a model or processing a long prompt may send
nothing, not even headers, for minutes, and clients drop silent connections. Pings carry no content,
so the next provider can still take over; if none does, the stream ends with the protocol's error event.

However the response ends (finished, broken upstream, client gone, even before its body began), one
close-out runs: the attempts stop, the upstream connection closes, what the provider produced is priced
and its budget hold settled, other holds are released, and a break counts against the provider. Usage the
upstream did not report in full (a client that left, a cut stream, a stream without usage) is recorded
at its estimate (see ``telemetry.spend_bound``), never at zero.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from coderouter_supervisor.worker.errors import GatewayError, NoProviderLeft, choose_reported_error
from coderouter_supervisor.worker.ingress.dispatch import RoutedRequest, explain_headers
from coderouter_supervisor.worker.providers import PING_INTERVAL_S, FailedAttempt, ProviderCall, StreamRelay
from coderouter_supervisor.worker.telemetry import EstimateReason, emit_event

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}

Outcome = tuple[StreamRelay, ProviderCall, Sequence[FailedAttempt]]
Attempts = Awaitable[Outcome]


async def streamed_response(
    attempts: Attempts,
    routed: RoutedRequest[Any],
    *,
    ping_frame: bytes,
    error_frame: Callable[[GatewayError], bytes],
) -> Response:
    """The streaming response for ``attempts``; raises their error if they fail before the commit."""
    task = asyncio.ensure_future(attempts)
    done, _ = await asyncio.wait({task}, timeout=PING_INTERVAL_S)

    async def close_out() -> None:
        await _stop(task)
        if task.cancelled() or task.exception() is not None:
            await routed.recorder.close()
            return
        relay, call, _ = task.result()
        if relay.failure is not None:
            failure = relay.failure
            emit_event(
                "provider-failed-midstream",
                "warning",
                provider=call.name,
                status=failure.status,
                retryable=failure.retryable,
                error=failure.message[:500],
            )
            await routed.recorder.broke(call.provider, failure)
        await routed.recorder.finished(
            call.provider, relay.client.report, unknown_because=_why_unknown(relay)
        )
        await routed.recorder.close()

    if done:
        if task.exception() is not None:
            await routed.recorder.close()  # no response will be streamed to close it out
        relay, call, failures = task.result()
        return _ClosingStream(
            relay.frames(),
            on_close=close_out,
            media_type="text/event-stream",
            headers={**SSE_HEADERS, **explain_headers(routed.profile, call, failures)},
        )
    return _ClosingStream(
        _committed_early(task, ping_frame, error_frame),
        on_close=close_out,
        media_type="text/event-stream",
        headers={**SSE_HEADERS, "x-coderouter-profile": routed.profile.name},
    )


def _why_unknown(relay: StreamRelay) -> EstimateReason:
    """Why a stream's usage may be incomplete, if it is."""
    if relay.failure is not None:
        return "stream-broken"
    return "stream-without-usage" if relay.completed else "client-left"


def error_stream(error: GatewayError, error_frame: Callable[[GatewayError], bytes]) -> Response:
    """A stream that only reports ``error``: for a streaming request refused by a guard."""

    async def frames() -> AsyncIterator[bytes]:
        yield error_frame(error)

    return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)


# Close-outs in flight; held so the loop does not drop one while a cancelled request unwinds.
_closing: set[asyncio.Task[None]] = set()


class _ClosingStream(StreamingResponse):
    """Runs ``on_close`` once the response is over, however it ended: finished, failed, or the
    client gone before the body began (then the body generator never runs, nor its ``finally``)."""

    def __init__(
        self, content: AsyncIterator[bytes], *, on_close: Callable[[], Awaitable[None]], **kw: Any
    ) -> None:
        super().__init__(content, **kw)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            closing = asyncio.ensure_future(self._on_close())
            _closing.add(closing)
            closing.add_done_callback(_closing.discard)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(closing)


async def _committed_early(
    task: asyncio.Future[Outcome], ping_frame: bytes, error_frame: Callable[[GatewayError], bytes]
) -> AsyncIterator[bytes]:
    yield ping_frame
    while not (await asyncio.wait({task}, timeout=PING_INTERVAL_S))[0]:
        yield ping_frame
    try:
        relay, _, _ = task.result()
    except GatewayError as error:
        yield error_frame(choose_reported_error(error) if isinstance(error, NoProviderLeft) else error)
        return
    async for frame in relay.frames():
        yield frame


async def _stop(task: asyncio.Future[Outcome]) -> None:
    """Stop attempts still running; close the chosen upstream (idempotent if its stream ended)."""
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return
    if not task.cancelled() and task.exception() is None:
        await task.result()[0].aclose()
