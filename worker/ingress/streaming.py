"""A streamed answer: wait briefly for a provider, then commit to a 200 and keep the client company.

Providers are tried (``first_success``) in a task. If one is streaming within ``PING_INTERVAL_S`` the
response starts normally, with the provider in its headers, and a failure before that still gets a
plain error status. Otherwise the response is committed with only the profile in its headers and pings
flow while the attempts go on: a local backend loading a model or processing a long prompt may send
nothing, not even headers, for minutes, and clients drop silent connections. Pings carry no content,
so the next provider can still take over; if none does, the stream ends with the protocol's error event.

However the stream ends (finished, broken upstream, client gone), the attempt is settled: its usage is
priced and its budget hold released, and a break counts against the provider's health.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from starlette.responses import Response, StreamingResponse

from coderouter_supervisor.worker.errors import GatewayError, NoProviderLeft, choose_reported_error
from coderouter_supervisor.worker.ingress.dispatch import RoutedRequest, explain_headers
from coderouter_supervisor.worker.providers import PING_INTERVAL_S, FailedAttempt, ProviderCall, StreamRelay

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}

Attempts = Awaitable[tuple[StreamRelay, ProviderCall, Sequence[FailedAttempt]]]


async def streamed_response(
    attempts: Attempts,
    routed: RoutedRequest,
    *,
    ping_frame: bytes,
    error_frame: Callable[[GatewayError], bytes],
) -> Response:
    """The streaming response for ``attempts``; raises their error if they fail before the commit."""
    task = asyncio.ensure_future(attempts)
    done, _ = await asyncio.wait({task}, timeout=PING_INTERVAL_S)
    if done:
        relay, call, failures = task.result()
        return StreamingResponse(
            _settled(relay, call, routed),
            media_type="text/event-stream",
            headers={**SSE_HEADERS, **explain_headers(routed.profile, call, failures)},
        )
    return StreamingResponse(
        _committed_early(task, routed, ping_frame, error_frame),
        media_type="text/event-stream",
        headers={**SSE_HEADERS, "x-coderouter-profile": routed.profile.name},
    )


def error_stream(error: GatewayError, error_frame: Callable[[GatewayError], bytes]) -> Response:
    """A stream that only reports ``error``: for a streaming request refused by a guard."""

    async def frames() -> AsyncIterator[bytes]:
        yield error_frame(error)

    return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)


async def _settled(relay: StreamRelay, call: ProviderCall, routed: RoutedRequest) -> AsyncIterator[bytes]:
    try:
        async for frame in relay.frames():
            yield frame
    finally:
        if relay.failure is not None:
            await routed.recorder.broke(call.provider, relay.failure)
        await routed.recorder.finished(call.provider, relay.client.usage)


async def _committed_early(
    task: asyncio.Future[tuple[StreamRelay, ProviderCall, Sequence[FailedAttempt]]],
    routed: RoutedRequest,
    ping_frame: bytes,
    error_frame: Callable[[GatewayError], bytes],
) -> AsyncIterator[bytes]:
    try:
        yield ping_frame
        while not (await asyncio.wait({task}, timeout=PING_INTERVAL_S))[0]:
            yield ping_frame
        try:
            relay, call, _ = task.result()
        except GatewayError as error:
            yield error_frame(choose_reported_error(error) if isinstance(error, NoProviderLeft) else error)
            return
        async for frame in _settled(relay, call, routed):
            yield frame
    finally:
        await _settle(task)


async def _settle(task: asyncio.Future[tuple[StreamRelay, ProviderCall, Sequence[FailedAttempt]]]) -> None:
    """The client went away or the stream ended: stop the attempts, close an unread upstream."""
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return
    if not task.cancelled() and task.exception() is None:
        await task.result()[0].aclose()
