"""Bound the number and size of request headers, whichever HTTP parser uvicorn runs.

gunicorn's ``limit_request_*`` settings do not reach uvicorn workers, and uvicorn's parsers
differ (h11 caps the whole header block at 16 KiB, httptools caps nothing), so the limits that
hold on every install are checked here, before routing (by :mod:`.front_door`), with an answer in
the caller's envelope.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import Scope

from coderouter_supervisor.worker.errors import HeadersTooLarge
from coderouter_supervisor.worker.ingress.asgi_answers import JsonAnswer
from coderouter_supervisor.worker.ingress.error_responses import error_response
from coderouter_supervisor.worker.ingress.protocols import ingress_of

# gunicorn's own defaults for sync workers; real clients send a dozen or two short headers.
MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 8190
MAX_HEADER_BLOCK_BYTES = 32 * 1024


def header_problem(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """Why these headers are refused, or None when they are within the limits."""
    total = 0
    for count, (name, value) in enumerate(headers, start=1):
        if count > MAX_HEADER_COUNT:
            return f"more than {MAX_HEADER_COUNT} request headers"
        size = len(name) + len(value) + 4  # "name: value\r\n"
        if size > MAX_HEADER_BYTES:
            shown = name[:64].decode("latin-1")
            return f"request header {shown!r} is longer than {MAX_HEADER_BYTES} bytes"
        total += size
        if total > MAX_HEADER_BLOCK_BYTES:
            return f"request headers are longer than {MAX_HEADER_BLOCK_BYTES} bytes in all"
    return None


def header_refusal(scope: Scope) -> JsonAnswer | None:
    """The answer, in the caller's envelope, to a request whose headers are over the limits; None
    when they are within them."""
    problem = header_problem(scope["headers"])
    if problem is None:
        return None
    return error_response(HeadersTooLarge(problem), ingress_of(Request(scope)))
