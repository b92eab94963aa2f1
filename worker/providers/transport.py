"""HTTP to upstreams over the worker's shared client: the one place httpx errors become ours."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpcore
import httpx

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
from coderouter_supervisor.worker.providers.gathered_writes import GatheringBackend
from coderouter_supervisor.worker.providers.request_body import BodyInPieces, encoded_body, sendable

# An upstream error body is read for its message; anything past this is noise.
_ERROR_BODY_LIMIT = 64 * 1024
_CONNECT_TIMEOUT_S = 10.0


# Both cached: a config has a handful of timeouts and upstream URLs, and httpx would otherwise
# parse the URL text again on every request.
@functools.lru_cache(maxsize=64)
def _timeout(timeout_s: float) -> httpx.Timeout:
    """``timeout_s`` bounds each wait for the upstream (connect, each read), not the whole call."""
    return httpx.Timeout(timeout_s, connect=min(timeout_s, _CONNECT_TIMEOUT_S))


@functools.lru_cache(maxsize=256)
def _parsed_url(url: str) -> httpx.URL:
    return httpx.URL(url)


_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=40, keepalive_expiry=30.0)


class _Unkept(httpx.Cookies):
    """Keeps no cookie and sends none: one client serves every caller, so a cookie one upstream answer
    sets would ride along on the next caller's requests. Declined here rather than in the jar: httpx
    wraps every answer and its request for the jar first (about 20 us an answer)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set_cookie_header(self, request: httpx.Request) -> None:
        return None


class _UpstreamClient(httpx.AsyncClient):
    _unkept = _Unkept()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._unkept

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        """Nothing to set: this client keeps no cookies."""


def upstream_client() -> httpx.AsyncClient:
    """The worker's one client for every upstream call: pooled connections, no cookies."""
    # Each call passes its own timeout; this one only covers a call that would not.
    return _UpstreamClient(timeout=_timeout(30.0), transport=_upstream_transport())


def _upstream_transport() -> httpx.AsyncHTTPTransport:
    """httpx's transport over connections that send a request in one write (see :mod:`.gathered_writes`)."""
    transport = httpx.AsyncHTTPTransport()
    # httpx takes no network backend of its own; its pool does.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=_LIMITS.max_connections,
        max_keepalive_connections=_LIMITS.max_keepalive_connections,
        keepalive_expiry=_LIMITS.keepalive_expiry,
        network_backend=GatheringBackend(),
    )
    return transport


def _retry_after(headers: httpx.Headers) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _transport_error(exc: httpx.HTTPError, provider: str) -> UpstreamError:
    if isinstance(exc, httpx.ConnectTimeout | httpx.ConnectError):
        return UpstreamConnectError(f"cannot connect to provider {provider}: {exc}", provider=provider)
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(f"provider {provider} did not answer in time", provider=provider)
    return UpstreamConnectError(f"connection to provider {provider} failed: {exc}", provider=provider)


async def _error_from(response: httpx.Response, provider: str) -> UpstreamError:
    body = b""
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
    return upstream_error_from_response(
        response.status_code,
        body[:_ERROR_BODY_LIMIT],
        provider=provider,
        retry_after=_retry_after(response.headers),
    )


async def _send(
    http: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    body: Mapping[str, Any] | None,
    timeout_s: float,
    provider: str,
) -> httpx.Response:
    sent_headers = dict(headers)
    method = "GET" if body is None else "POST"
    sent: bytes | BodyInPieces | None = None
    if body is not None:
        sent, length = sendable(await encoded_body(body))
        if length is not None:
            # Declared, so httpx sends the pieces as one body rather than chunked.
            sent_headers["content-length"] = str(length)
    request = http.build_request(
        method, _parsed_url(url), headers=sent_headers, content=sent, timeout=_timeout(timeout_s)
    )
    try:
        response = await http.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise _transport_error(exc, provider) from exc
    if response.status_code >= 400:
        raise await _error_from(response, provider)
    return response


async def post_json(
    http: httpx.AsyncClient,
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
    response = await _send(http, url, headers, body, timeout_s, provider)
    return await _json_answer(response, provider, limit)


async def get_json(
    http: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    *,
    timeout_s: float,
    provider: str,
    limit: int,
) -> dict[str, Any]:
    """GET ``url`` (a listing such as ``/v1/models``); returns and raises like :func:`post_json`."""
    response = await _send(http, url, headers, None, timeout_s, provider)
    return await _json_answer(response, provider, limit)


def _too_large(provider: str, limit: int) -> UpstreamAnswerTooLarge:
    return UpstreamAnswerTooLarge(
        f"provider {provider} answered more than {limit} bytes, the most the gateway reads "
        "(supervisor.max_upstream_answer_mib)",
        provider=provider,
    )


async def _read_bounded(response: httpx.Response, provider: str, limit: int) -> bytes:
    """The whole body, read no further than ``limit`` bytes; the response is closed either way."""
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _too_large(provider, limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _too_large(provider, limit)
            chunks.append(chunk)
        return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise _transport_error(exc, provider) from exc
    finally:
        await response.aclose()


async def _json_answer(response: httpx.Response, provider: str, limit: int) -> dict[str, Any]:
    raw = await _read_bounded(response, provider, limit)
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise UpstreamHTTPError(
            f"provider {provider} answered HTTP {response.status_code} without a JSON object",
            provider=provider,
            upstream_status=502,
        )
    return payload


@dataclass
class UpstreamEvent:
    """One parsed event of an upstream stream: its SSE name (if any) and JSON payload, and the
    ``data`` text it was parsed from (empty when built by hand), for a passthrough to forward."""

    name: str | None
    payload: dict[str, Any]
    data: str = ""


# What may follow ``[DONE]`` before the connection is given up rather than kept for reuse.
_AFTER_DONE_S: Final = 0.5
_AFTER_DONE_BYTES: Final = 64 * 1024


async def _rest_of_body(chunks: AsyncIterator[bytes]) -> None:
    """Read past ``[DONE]`` to the body's end (normally just the last chunk's terminator) so the
    connection goes back to the pool: a response closed with its body unread closes its connection,
    and the next request paid a new connect (a fifth of a worker's time on an OpenAI passthrough
    stream). An upstream that keeps the body open or keeps writing is cut off as before."""
    read = 0
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
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

    def __init__(self, response: httpx.Response, provider: str, limit: int) -> None:
        self._response = response
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
            chunks = self._response.aiter_bytes()
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
        except httpx.HTTPError as exc:
            raise MidStreamFailure(
                f"provider {self._provider} broke off the stream: {exc or type(exc).__name__}",
                provider=self._provider,
            ) from exc
        except SSEEventTooLarge as exc:
            raise _too_large(self._provider, self._limit) from exc
        finally:
            await self._response.aclose()

    def _parse_all(self, frames: list[SSEEvent]) -> list[UpstreamEvent]:
        """The events of ``frames`` up to ``[DONE]``; nothing after it counts."""
        batch = []
        for frame in frames:
            event = self._parse(frame.event, frame.data)
            if event is not None:
                batch.append(event)
            if self.saw_done:
                break
        return batch

    def _parse(self, name: str | None, data: str) -> UpstreamEvent | None:
        if data.strip() == "[DONE]":
            self.saw_done = True
            return None
        try:
            payload = json.loads(data)
        except ValueError:
            self.skipped_frames += 1
            return None
        if not isinstance(payload, dict):
            self.skipped_frames += 1
            return None
        return UpstreamEvent(name, payload, data)

    async def aclose(self) -> None:
        await self._response.aclose()


async def open_stream(
    http: httpx.AsyncClient,
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
