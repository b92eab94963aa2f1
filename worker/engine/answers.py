"""Answering a routed request: try its calls in order, then settle. A whole answer, or a stream.

A stream waits briefly for a provider, then commits. If one is streaming within ``PING_INTERVAL_S``
the stream starts normally, explained by the provider in its headers, and a failure before that
still raises (a plain error status). Otherwise the stream is committed with only the profile in its
headers and pings flow while the attempts go on: a local backend loading a model or processing a
long prompt may send nothing, not even headers, for minutes, and clients drop silent connections.
Pings carry no content, so the next provider can still take over; if none does, the stream ends
with the protocol's error frame.

However a stream ends (finished, broken upstream, client gone, even before its body began), the
edge calls :meth:`StreamSession.close` once: the attempts stop, the upstream connection closes, what
the provider produced is priced and its budget hold settled, other holds are released, and a break
counts against the provider. Usage the upstream did not report in full (a client that left, a cut
stream, a stream without usage) is recorded at its estimate (see :mod:`..money`), never at zero.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.worker.adapters import ClientProtocol, adapter_for
from coderouter_supervisor.worker.config import ProfileConfig
from coderouter_supervisor.worker.engine.attempts import FailedAttempt, first_success
from coderouter_supervisor.worker.engine.context import EngineContext
from coderouter_supervisor.worker.engine.planning import RoutedRequest
from coderouter_supervisor.worker.errors import GatewayError, NoProviderLeft, choose_reported_error
from coderouter_supervisor.worker.money import EstimateReason
from coderouter_supervisor.worker.providers import PING_INTERVAL_S, ProviderCall, StreamRelay
from coderouter_supervisor.worker.telemetry import emit_event

Outcome = tuple[StreamRelay, ProviderCall, tuple[FailedAttempt, ...]]


def explain_headers(
    profile: ProfileConfig, call: ProviderCall, passed: Sequence[FailedAttempt]
) -> dict[str, str]:
    """``X-CodeRouter-*`` headers: which profile and provider answered, and what was passed over first."""
    headers = {"x-coderouter-profile": profile.name, "x-coderouter-provider": call.name}
    if passed:
        tried = [f.chain_entry for f in passed]
        headers["x-coderouter-fallback-chain"] = ", ".join([*tried, f"{call.name};ok"])
    return headers


@dataclass(frozen=True)
class Answer:
    """A whole answer in the client's protocol, and the headers that explain who gave it."""

    reply: dict[str, Any]
    headers: dict[str, str]


async def answer_whole(ctx: EngineContext, client: ClientProtocol, routed: RoutedRequest[Any]) -> Answer:
    """The first whole answer of ``routed``'s calls, settled; raises :class:`NoProviderLeft`."""
    created = int(ctx.clock.wall())
    request = routed.parsed
    try:
        done, call, passed = await first_success(
            routed.calls,
            lambda c: adapter_for(client.name, c.provider.kind).complete(
                ctx.http, c, request, created=created
            ),
            routed.recorder,
            usage_of=lambda d: d.usage,
            skipped=routed.skipped,
        )
    finally:
        await routed.recorder.close()
    return Answer(done.reply, explain_headers(routed.profile, call, passed))


class StreamSession:
    """A stream of ``routed``'s answer: its :attr:`headers`, :meth:`frames` to send, and
    :meth:`close` to run once when the response is over, however it ended."""

    def __init__(
        self,
        task: asyncio.Future[Outcome],
        routed: RoutedRequest[Any],
        frames: AsyncIterator[bytes],
        headers: Mapping[str, str],
    ) -> None:
        self._task = task
        self._routed = routed
        self.frames = frames
        self.headers = headers

    async def close(self) -> None:
        task, recorder = self._task, self._routed.recorder
        await _stop(task)
        if task.cancelled() or task.exception() is not None:
            await recorder.close()
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
            await recorder.broke(call.provider, failure)
        await recorder.finished(call.provider, relay.client.report, unknown_because=_why_unknown(relay))
        await recorder.close()


async def open_stream(
    ctx: EngineContext, client: ClientProtocol, routed: RoutedRequest[Any]
) -> StreamSession:
    """The stream for ``routed``; raises the attempts' error if they fail before the commit (its
    holds are then released)."""
    input_tokens = client.stream_input_tokens(routed.body)
    request = routed.parsed
    task = asyncio.ensure_future(
        first_success(
            routed.calls,
            lambda c: adapter_for(client.name, c.provider.kind).stream(
                ctx.http, c, request, input_tokens=input_tokens
            ),
            routed.recorder,
            usage_of=lambda _: None,
            skipped=routed.skipped,
        )
    )
    done, _ = await asyncio.wait({task}, timeout=PING_INTERVAL_S)
    if done:
        if task.exception() is not None:
            await routed.recorder.close()  # no stream will be sent to close it out
        relay, call, failures = task.result()
        return StreamSession(task, routed, relay.frames(), explain_headers(routed.profile, call, failures))
    frames = _committed_early(task, client.ping_frame, client.stream_error_frame)
    return StreamSession(task, routed, frames, {"x-coderouter-profile": routed.profile.name})


def _why_unknown(relay: StreamRelay) -> EstimateReason:
    """Why a stream's usage may be incomplete, if it is."""
    if relay.failure is not None:
        return "stream-broken"
    return "stream-without-usage" if relay.completed else "client-left"


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
