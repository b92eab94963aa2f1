"""On a loopback bind, answer only requests addressed to a loopback name.

A web page can make a browser send requests to ``127.0.0.1:8088`` through a DNS name it controls
(DNS rebinding); such requests carry that foreign name in ``Host``. A gateway that listens only on
loopback has no reason to accept any ``Host`` but a loopback one; the front door (:mod:`.front_door`)
refuses the others before routing.
"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.types import Scope

from coderouter_supervisor.worker.errors import PermissionDenied
from coderouter_supervisor.worker.ingress.asgi_answers import JsonAnswer
from coderouter_supervisor.worker.ingress.client_auth import is_loopback
from coderouter_supervisor.worker.ingress.error_responses import error_response
from coderouter_supervisor.worker.ingress.protocols import ingress_of


def host_name(host_header: str) -> str:
    """The name part of a ``Host`` value (``[::1]:8088`` -> ``::1``, ``localhost:8088`` -> ``localhost``)."""
    value = host_header.strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


@functools.lru_cache(maxsize=32)
def is_loopback_host(host_header: str) -> bool:
    """Whether a ``Host`` value names this machine's loopback. Every request asks, with one of the few
    values its clients send, so the answers are remembered (bounded: the value is the client's)."""
    return is_loopback(host_name(host_header))


def foreign_host_refusal(scope: Scope) -> JsonAnswer | None:
    """The answer, in the caller's envelope, to a request addressed to a name that is not loopback;
    None for a loopback one."""
    host = ""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
            break
    if is_loopback_host(host):
        return None
    refused = PermissionDenied(f"this gateway listens on loopback only and does not answer for host {host!r}")
    return error_response(refused, ingress_of(Request(scope)))
