"""Which route serves a request: a pure decision from the method and path, looked up by exact path.

A path matches at most one route, so the order routes are listed in never matters: each path is
either a key of one dict or, for the one kind of parameter (``{name:path}``, the rest of the
path, slashes included), under one prefix. A GET route also serves HEAD.

What a request that no route serves is told follows Starlette's router, which the gateway's
answers were first written against: a path some route serves for another method is a 405 naming
the methods it allows; a path that only differs from a served one by trailing slashes (or the
lack of one) is redirected there (307, so a POST stays a POST); anything else is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.types import ASGIApp

Endpoint = Callable[[Request], Awaitable[ASGIApp]]  # an answer: a Starlette response, or one of ours

_PATH_PARAMETER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*):path\}$")


@dataclass(frozen=True)
class Route:
    """``endpoint`` serves ``methods`` on ``path``: an exact path, or one ending in ``{name:path}``."""

    path: str
    endpoint: Endpoint
    methods: frozenset[str]


@dataclass(frozen=True)
class Serve:
    """Call ``endpoint``; ``path_params`` are the request's ``path_params`` (empty for an exact path)."""

    endpoint: Endpoint
    path_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MethodNotAllowed:
    allow: str  # the ``Allow`` header: the methods the path is served for


@dataclass(frozen=True)
class RedirectTo:
    path: str  # the request's ``path`` (root path included) to send the client to


@dataclass(frozen=True)
class NoRoute:
    pass


Decision = Serve | MethodNotAllowed | RedirectTo | NoRoute
NO_ROUTE = NoRoute()


@dataclass(frozen=True)
class _Target:
    """One route's answers, built once: a hit costs a dict lookup and a set membership test."""

    methods: frozenset[str]
    serve: Serve
    refusal: MethodNotAllowed

    def answer(self, method: str) -> Serve | MethodNotAllowed:
        return self.serve if method in self.methods else self.refusal


@dataclass(frozen=True)
class _Prefix:
    prefix: str
    parameter: str
    target: _Target


class RouteTable:
    """``routes`` compiled once per worker; :meth:`decide` is a pure function of method and path.

    Raises ``ValueError`` for a path with another kind of parameter, and for two routes that could
    match the same path."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._exact: dict[str, _Target] = {}
        prefixes: list[_Prefix] = []
        for route in routes:
            methods = route.methods | {"HEAD"} if "GET" in route.methods else route.methods
            target = _Target(methods, Serve(route.endpoint), MethodNotAllowed(", ".join(sorted(methods))))
            parameter = _PATH_PARAMETER.search(route.path)
            prefix = route.path[: parameter.start()] if parameter else route.path
            if "{" in prefix:
                raise ValueError(f"{route.path}: only a trailing {{name:path}} parameter is supported")
            if parameter is None:
                if route.path in self._exact:
                    raise ValueError(f"{route.path}: two routes for one path")
                self._exact[route.path] = target
            else:
                prefixes.append(_Prefix(prefix, parameter.group(1), target))
        for one in prefixes:
            overlapping = [p for p in [*self._exact, *(o.prefix for o in prefixes if o is not one)]]
            if any(p.startswith(one.prefix) for p in overlapping):
                raise ValueError(f"{one.prefix}{{...}}: another route's path starts with it")
        self._prefixes = tuple(prefixes)

    def decide(self, method: str, path: str, root_path: str = "") -> Decision:
        """What to do with a ``method`` request for ``path`` (the ASGI ``path``, which includes
        ``root_path`` when the server was given one)."""
        route_path = _route_path(path, root_path) if root_path else path
        found = self._match(method, route_path)
        if found is not None:
            return found
        if route_path != "/":
            # As Starlette's redirect_slashes: strip every trailing slash, or add one.
            other = path.rstrip("/") if route_path.endswith("/") else path + "/"
            if self._match(method, _route_path(other, root_path) if root_path else other) is not None:
                return RedirectTo(other)
        return NO_ROUTE

    def _match(self, method: str, route_path: str) -> Serve | MethodNotAllowed | None:
        target = self._exact.get(route_path)
        if target is not None:
            return target.answer(method)
        for one in self._prefixes:
            if route_path.startswith(one.prefix):
                if method not in one.target.methods:
                    return one.target.refusal
                rest = route_path[len(one.prefix) :]
                return Serve(one.target.serve.endpoint, {one.parameter: rest})
        return None


def _route_path(path: str, root_path: str) -> str:
    """``path`` without ``root_path``, as Starlette's routing reads it (``get_route_path``)."""
    if not path.startswith(root_path):
        return path
    if path == root_path:
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path
