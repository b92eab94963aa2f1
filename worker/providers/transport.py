"""HTTP to upstreams over the worker's shared client: the one place httpcore's errors become ours."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpcore

from coderouter_supervisor.worker.errors import (
    MidStreamFailure,
    UpstreamAnswerTooLarge,
    UpstreamConnectError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamTimeout,
)
from coderouter_supervisor.worker.protocol import (
    SSEDecoder,
    SSEEvent,
    SSEEventTooLarge,
    upstream_error_from_response,
)
from coderouter_supervisor.worker.providers.request_body import encoded_body, sendable
from coderouter_supervisor.worker.providers.upstream_client import (
    TRANSPORT_ERRORS,
    UpstreamAnswer,
    UpstreamClient,
)

# An upstream error body is read for its message; anything past this is noise.
_ERROR_BODY_LIMIT = 64 * 1024


def _retry_after(answer: UpstreamAnswer) -> float | None:
    raw = answer.header("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _transport_error(exc: Exception, provider: str) -> UpstreamError:
    """One of :data:`TRANSPORT_ERRORS` as ours."""
    if isinstance(exc, httpcore.ConnectTimeout | httpcore.ConnectError):
        return UpstreamConnectError(f"cannot connect to provider {provider}: {exc}", provider=provider)
    if isinstance(exc, httpcore.TimeoutException):
        return UpstreamTimeout(f"provider {provider} did not answer in time", provider=provider)
    return UpstreamConnectError(f"connection to provider {provider} failed: {exc}", provider=provider)


async def _error_from(answer: UpstreamAnswer, provider: str) -> UpstreamError:
    body = b""
    try:
        async for chunk in answer.chunks():
            body += chunk
            if len(body) > _ERROR_BODY_LIMIT:
                break
    except TRANSPORT_ERRORS:
        pass
    finally:
        await answer.aclose()
    return upstream_error_from_response(
        answer.status,
        body[:_ERROR_BODY_LIMIT],
        provider=provider,
        retry_after=_retry_after(answer),
    )


async def _send(
    http: UpstreamClient,
    url: str,
    headers: Mapping[str, str],
    body: Mapping[str, Any] | None,
    timeout_s: float,
    provider: str,
) -> UpstreamAnswer:
    try:
        if body is None:
            answer = await http.send(b"GET", url, headers, None, None, timeout_s)
        else:
            sent, length = sendable(await encoded_body(body))
            answer = await http.send(b"POST", url, headers, sent, length, timeout_s)
    except TRANSPORT_ERRORS as exc:
        raise _transport_error(exc, provider) from exc
    if answer.status >= 400:
        raise await _error_from(answer, provider)
    return answer


async def post_json(
    http: UpstreamClient,
    url: str,
    headers: Mapping[str, str],
    body: Mapping[str, Any],
    *,
    timeout_s: float,
    provider: str,
    limit: int,
) -> dict[str, Any]:
    """POST ``body`` and return the JSON object answered; raises a typed ``UpstreamError``,
    :class:`UpstreamAnswerTooLarge` for an answer of more than ``limit`` bytes."""
    answer = await _send(http, url, headers, body, timeout_s, provider)
    return await _json_answer(answer, provider, limit)


async def get_json(
    http: UpstreamClient,
    url: str,
    headers: Mapping[str, str],
    *,
    timeout_s: float,
    provider: str,
    limit: int,
) -> dict[str, Any]:
    """GET ``url`` (a listing such as ``/v1/models``); returns and raises like :func:`post_json`."""
    answer = await _send(http, url, headers, None, timeout_s, provider)
    return await _json_answer(answer, provider, limit)


def _too_large(provider: str, limit: int) -> UpstreamAnswerTooLarge:
    return UpstreamAnswerTooLarge(
        f"provider {provider} answered more than {limit} bytes, the most the gateway reads "
        "(supervisor.max_upstream_answer_mib)",
        provider=provider,
    )


async def _read_bounded(answer: UpstreamAnswer, provider: str, limit: int) -> bytes:
    """The whole body, read no further than ``limit`` bytes; the answer is closed either way."""
    try:
        declared = answer.header("content-length") or ""
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(provider, limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in answer.chunks():
            size += len(chunk)
            if size > limit:
                raise _too_large(provider, limit)
            chunks.append(chunk)
        return b"".join(chunks)
    except TRANSPORT_ERRORS as exc:
        raise _transport_error(exc, provider) from exc
    finally:
        await answer.aclose()


async def _json_answer(answer: UpstreamAnswer, provider: str, limit: int) -> dict[str, Any]:
    raw = await _read_bounded(answer, provider, limit)
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise UpstreamHTTPError(
            f"provider {provider} answered HTTP {answer.status} without a JSON object",
            provider=provider,
            upstream_status=502,
        )
    return payload


@dataclass(slots=True)
class UpstreamEvent:
    """One parsed event of an upstream stream: its SSE name (if any) and JSON payload, and the
    ``data`` text it was parsed from (empty when built by hand), for a passthrough to forward."""

    name: str | None
    payload: dict[str, Any]
    data: str = ""


# Built once: ``json.loads`` reaches the same scanner through two more Python calls and two
# whitespace regex matches, a third of parsing a per-token event (1.6 -> 1.0 us).
_JSON_VALUE_AT = json.JSONDecoder().raw_decode


def _json_object(data: str) -> dict[str, Any] | None:
    """``data`` parsed as JSON if it is an object, else ``None`` (not JSON, or another value)."""
    if data.startswith("{"):  # an event as upstreams write it: the object and nothing around it
        try:
            payload, end = _JSON_VALUE_AT(data)
        except ValueError:
            return None
        if end == len(data) and isinstance(payload, dict):
            return payload
    try:  # anything else (whitespace around it, trailing text) exactly as ``json.loads`` sees it
        payload = json.loads(data)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


# What may follow ``[DONE]`` before the connection is given up rather than kept for reuse.
_AFTER_DONE_S: Final = 0.5
_AFTER_DONE_BYTES: Final = 64 * 1024


async def _rest_of_body(chunks: AsyncIterator[bytes]) -> None:
    """Read past ``[DONE]`` to the body's end (normally just the last chunk's terminator) so the
    connection goes back to the pool: a response closed with its body unread closes its connection,
    and the next request paid a new connect (a fifth of a worker's time on an OpenAI passthrough
    stream). An upstream that keeps the body open or keeps writing is cut off as before."""
    read = 0
    with contextlib.suppress(TimeoutError, *TRANSPORT_ERRORS):
        async with asyncio.timeout(_AFTER_DONE_S):
            async for chunk in chunks:
                read += len(chunk)
                if read > _AFTER_DONE_BYTES:
                    return


class UpstreamStream:
    """An upstream stream whose response said 2xx; iterate :meth:`events` once.

    ``completed`` tells whether the upstream ended it properly (``[DONE]`` or a clean end of
    body); a broken connection raises :class:`MidStreamFailure` from the iterator.
    """

    def __init__(self, answer: UpstreamAnswer, provider: str, limit: int) -> None:
        self._answer = answer
        self._provider = provider
        self._limit = limit
        self.saw_done = False
        self.skipped_frames = 0

    async def events(self) -> AsyncIterator[UpstreamEvent]:
        async for batch in self.batches():
            for event in batch:
                yield event

    async def batches(self) -> AsyncIterator[list[UpstreamEvent]]:
        """The events as they arrive: each list (never empty) is what one network read completed."""
        decoder = SSEDecoder(max_event_chars=self._limit)
        try:
            chunks = self._answer.chunks()
            async for chunk in chunks:
                batch = self._parse_all(decoder.feed(chunk))
                if batch:
                    yield batch
                if self.saw_done:
                    await _rest_of_body(chunks)
                    return
            batch = self._parse_all(decoder.close())
            if batch:
                yield batch
        except TRANSPORT_ERRORS as exc:
            raise MidStreamFailure(
                f"provider {self._provider} broke off the stream: {exc or type(exc).__name__}",
                provider=self._provider,
            ) from exc
        except SSEEventTooLarge as exc:
            raise _too_large(self._provider, self._limit) from exc
        finally:
            await self._answer.aclose()

    def _parse_all(self, frames: list[SSEEvent]) -> list[UpstreamEvent]:
        """The events of ``frames`` up to ``[DONE]``; nothing after it counts."""
        batch = []
        for frame in frames:
            data = frame.data
            if data.strip() == "[DONE]":
                self.saw_done = True
                break
            payload = _json_object(data)
            if payload is None:
                self.skipped_frames += 1
            else:
                batch.append(UpstreamEvent(frame.event, payload, data))
        return batch

    async def aclose(self) -> None:
        await self._answer.aclose()


async def open_stream(
    http: UpstreamClient,
    url: str,
    headers: Mapping[str, str],
    body: Mapping[str, Any],
    *,
    timeout_s: float,
    provider: str,
    limit: int,
) -> UpstreamStream:
    """POST a streaming request; returns once the upstream answered 2xx, raises otherwise.
    ``limit`` bounds one event of the stream (see :class:`UpstreamStream`)."""
    return UpstreamStream(await _send(http, url, headers, body, timeout_s, provider), provider, limit)
