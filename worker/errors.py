"""The gateway's one error hierarchy.

Every failure the gateway reports is a :class:`GatewayError`. Each class carries the HTTP
``status`` the gateway answers with and a protocol-neutral ``kind``; the wire envelopes
(``worker.protocol.envelopes``) render both protocols from these two facts and the message.
The engine decides "try the next provider" by ``isinstance`` and ``retryable``, never by
matching strings.

::

    GatewayError                      status, kind, message
    ├── ClientFault                   the client's request is at fault; never retried
    │   ├── InvalidRequest            400 invalid_request   (+ field path)
    │   │   └── UnsupportedContentType 415 invalid_request  (a body that is not declared JSON)
    │   ├── AuthenticationFailed      401 authentication
    │   ├── PermissionDenied          403 permission
    │   ├── NotFound                  404 not_found
    │   ├── RequestTooLarge           413 request_too_large
    │   ├── HeadersTooLarge           431 request_too_large
    │   ├── KeyBudgetExhausted        429 rate_limit        no retry cures it (+ resets_in_s)
    │   ├── KeyRateLimited            429 rate_limit        (+ retry_after, limit, value: a key's own limit)
    │   └── ToolLoopBroken            400 invalid_request   (a profile's tool_loop_action: break)
    ├── UpstreamError                 one provider attempt failed (+ provider, retryable)
    │   ├── UpstreamConnectError      502 api_error         retryable
    │   ├── UpstreamTimeout           504 timeout           retryable
    │   ├── UpstreamAnswerTooLarge    502 api_error         retryable (an answer past the read limit)
    │   ├── UpstreamHTTPError         mapped from the upstream status (+ upstream_status, retry_after)
    │   ├── UpstreamOutOfMemory       529 overloaded        retryable
    │   ├── ContextOverflow           400 invalid_request   retryable (+ tokens, maximum)
    │   └── MidStreamFailure          502 api_error         not retryable: bytes already left
    └── NoProviderLeft                every candidate was skipped or failed (+ the attempts' errors)

``retry_can_cure`` tells the client whether sending the same request again may succeed (the
``x-should-retry`` header); None lets the kind decide. It is False for a refusal that only time
or an operator lifts — a spent budget, the paid gate — so an SDK does not retry or wait on it.
``retryable`` means "another provider may succeed with the same request". A status from one
upstream says little about another: a 400 "does not support tools" or a 401 for a bad provider
key is specific to that provider, so upstream HTTP errors default to retryable (stopping the
chain on them was a defect of the peer project).
"""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal[
    "invalid_request",
    "authentication",
    "permission",
    "not_found",
    "request_too_large",
    "rate_limit",
    "api_error",
    "overloaded",
    "timeout",
]


class GatewayError(Exception):
    """Base of every error the gateway reports.

    ``message`` is the text shown to the client; for upstream failures it keeps the
    upstream's wording verbatim, because clients (Claude Code) match on it. ``retry_after``
    (seconds) becomes the ``retry-after`` header when set.
    """

    status: int = 500
    kind: ErrorKind = "api_error"
    retry_after: float | None = None
    retry_can_cure: bool | None = None
    # A machine-readable code (OpenAI ``error.code``) and extra fields of the error object.
    code: str | None = None
    details: dict[str, object] | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClientFault(GatewayError):
    """The client's request is at fault; no provider is tried (again)."""


class InvalidRequest(ClientFault):
    """The body is not valid JSON or violates the protocol; ``field`` names the offending path."""

    status = 400
    kind: ErrorKind = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedContentType(InvalidRequest):
    status = 415


class AuthenticationFailed(ClientFault):
    status = 401
    kind: ErrorKind = "authentication"


class PermissionDenied(ClientFault):
    status = 403
    kind: ErrorKind = "permission"


class NotFound(ClientFault):
    status = 404
    kind: ErrorKind = "not_found"


class RequestTooLarge(ClientFault):
    status = 413
    kind: ErrorKind = "request_too_large"


class HeadersTooLarge(ClientFault):
    """Too many request headers, or one too long."""

    status = 431
    kind: ErrorKind = "request_too_large"


class KeyBudgetExhausted(ClientFault):
    """The client key's monthly budget cannot hold this request's worst case.

    No ``retry-after``: SDKs sleep for whatever it says (weeks, here) before retrying a request
    that will be refused again. The message says when the budget resets instead.
    """

    status = 429
    kind: ErrorKind = "rate_limit"
    code = "key_budget_exhausted"
    retry_can_cure = False

    def __init__(self, message: str, *, resets_in_s: float) -> None:
        super().__init__(f"{message} (in {wait_text(resets_in_s)})")
        self.resets_in_s = resets_in_s


def wait_text(seconds: float) -> str:
    """``3 days 4 h``, ``5 h 12 min`` or ``7 min``: how long until something resets."""
    minutes = max(1, round(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class KeyRateLimited(ClientFault):
    """The client key is at its concurrency or requests-per-minute limit; ``limit`` says which."""

    status = 429
    kind: ErrorKind = "rate_limit"
    code = "key_rate_limited"

    def __init__(self, message: str, *, limit: str, value: int, retry_after: float) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.retry_after = retry_after


class ToolLoopBroken(ClientFault):
    """The agent called the same tool with the same arguments too often in a row.

    ``details`` names the tool and the count, never the arguments (they may hold secrets).
    """

    status = 400
    kind: ErrorKind = "invalid_request"
    code = "tool_loop_detected"

    def __init__(
        self, *, profile: str, tool_name: str, repeat_count: int, threshold: int, window: int
    ) -> None:
        super().__init__(
            f"tool loop detected: {tool_name!r} was called {repeat_count} times in a row with the same "
            f"arguments (profile {profile!r} breaks at {threshold}); try a different approach"
        )
        self.details = {
            "tool_loop": {
                "profile": profile,
                "tool_name": tool_name,
                "repeat_count": repeat_count,
                "threshold": threshold,
                "window": window,
            }
        }


class UpstreamError(GatewayError):
    """One attempt against one provider failed.

    ``provider`` names the configured provider (for logs and events, never shown as a
    credential). ``retryable`` defaults per class; an adapter may override it.
    """

    status = 502
    kind: ErrorKind = "api_error"
    default_retryable: bool = True

    def __init__(self, message: str, *, provider: str, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.retryable = self.default_retryable if retryable is None else retryable


def redact(error: UpstreamError, secret: str | None) -> UpstreamError:
    """``error`` with ``secret`` (the provider's key) cut out of its message: some upstreams echo
    the key they were sent in their error text, which would otherwise reach logs and clients."""
    if secret and secret in error.message:
        error.message = error.message.replace(secret, "[redacted]")
        error.args = (error.message,)
    return error


class UpstreamConnectError(UpstreamError):
    """The connection could not be made (refused, DNS, TLS, reset before a response)."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer (or went silent mid-stream) within the configured time."""

    status = 504
    kind: ErrorKind = "timeout"


class UpstreamAnswerTooLarge(UpstreamError):
    """The upstream's answer (or one event of its stream) is larger than the gateway reads into memory."""


# How an upstream status becomes the gateway's answer. A 401/403 is about the gateway's own
# provider credential, not the client's, so it must not tell the client its key is wrong.
_UPSTREAM_STATUS_MAP: dict[int, tuple[int, ErrorKind]] = {
    400: (400, "invalid_request"),
    401: (502, "api_error"),
    403: (502, "api_error"),
    404: (404, "not_found"),
    408: (504, "timeout"),
    413: (413, "request_too_large"),
    422: (400, "invalid_request"),
    429: (429, "rate_limit"),
    503: (529, "overloaded"),
    504: (504, "timeout"),
    529: (529, "overloaded"),
}


class UpstreamHTTPError(UpstreamError):
    """The upstream answered with an HTTP error status.

    ``message`` is the upstream's own message, verbatim. ``retry_after`` is in seconds when
    the upstream said so. ``status``/``kind`` are the gateway's answer derived from
    ``upstream_status`` (e.g. upstream 401 -> 502, because it is the provider key at fault).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        upstream_status: int,
        retry_after: float | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, provider=provider, retryable=retryable)
        self.upstream_status = upstream_status
        self.retry_after = retry_after
        default: tuple[int, ErrorKind] = (
            (400, "invalid_request") if 400 <= upstream_status < 500 else (502, "api_error")
        )
        self.status, self.kind = _UPSTREAM_STATUS_MAP.get(upstream_status, default)


class UpstreamOutOfMemory(UpstreamError):
    """The backend could not load or run the model for lack of memory (local backends)."""

    status = 529
    kind: ErrorKind = "overloaded"


class ContextOverflow(UpstreamError):
    """The prompt does not fit the upstream model's context window.

    ``tokens`` and ``maximum`` are set when the upstream's wording revealed them. The
    Anthropic rendering is ``prompt is too long: N tokens > M maximum`` because Claude Code
    parses those numbers to decide on compaction. Retryable: a provider with a larger
    window may take the same prompt.
    """

    status = 400
    kind: ErrorKind = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        tokens: int | None = None,
        maximum: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, provider=provider, retryable=retryable)
        self.tokens = tokens
        self.maximum = maximum


class MidStreamFailure(UpstreamError):
    """The upstream failed after the response had started streaming to the client.

    Never retryable: the client already holds part of an answer; the stream ends with the
    protocol's error event instead.
    """

    default_retryable = False


class NoProviderLeft(GatewayError):
    """Every provider in the chain was skipped or failed.

    ``errors`` holds each attempt's error in attempt order (empty when all were skipped);
    :func:`choose_reported_error` picks the one worth showing the client. ``chain`` is every
    provider passed over, as ``name;skipped=reason`` or ``name;failed=reason`` (the
    ``X-CodeRouter-Fallback-Chain`` header), whichever error is reported.
    """

    status = 502
    kind: ErrorKind = "api_error"

    def __init__(
        self,
        message: str,
        *,
        errors: tuple[GatewayError, ...] = (),
        retry_after: float | None = None,
        chain: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.errors = errors
        self.chain = chain
        if not errors:
            # Only gates refused (budget, paid gate, missing key, cooldown): a retry meets the same
            # gate, unless it is a cooldown that ends in ``retry_after`` seconds.
            self.retry_after = retry_after
            self.retry_can_cure = retry_after is not None


def _telling_rank(error: GatewayError) -> int:
    """Lower is more telling: what the client can act on comes first."""
    ranking = (
        isinstance(error, ContextOverflow),
        isinstance(error, ClientFault),
        isinstance(error, UpstreamHTTPError) and error.kind == "invalid_request",
        error.kind == "rate_limit",
        error.kind == "overloaded",
        isinstance(error, UpstreamHTTPError),
        isinstance(error, UpstreamTimeout),
    )
    return ranking.index(True) if True in ranking else len(ranking)


def choose_reported_error(failure: NoProviderLeft) -> GatewayError:
    """The most telling attempt error of ``failure``, or ``failure`` itself when there was none.

    Ties keep attempt order (the first provider's error wins), so the result is stable; among
    rate limits the one with the shortest ``retry_after`` wins.
    """
    if not failure.errors:
        return failure
    chosen = min(failure.errors, key=_telling_rank)
    if chosen.kind == "rate_limit":
        # Every provider is rate limited: the client may come back when the first one frees up.
        waits = [e for e in failure.errors if e.kind == "rate_limit" and e.retry_after is not None]
        if waits:
            chosen = min(waits, key=lambda e: e.retry_after or 0.0)
    return chosen
