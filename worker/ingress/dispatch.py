"""The gateway's ASGI application: routes each request (:mod:`.route_table`), turns what escapes a
handler into an answer in the caller's protocol (:mod:`.error_responses`), and runs the lifespan.

One call frame per request, and ``send`` reaches the server as the caller handed it: a Starlette
application stacks five frames per request (error middleware, exception middleware, router,
route, the handler's exception wrapper), the last two wrap ``send`` again for every event of a
stream, and its router tries each route's regular expression in turn.

Errors are answered as Starlette's handlers answered them: an exception raised before the answer
started gets its answer (a :class:`GatewayError` its envelope; anything else is a bug, logged as
``internal-error`` and answered 500 in the envelope, then raised on to the server, which logs the
traceback and closes the connection). Once a handler returned its response, sending it is the
answer: an exception from it is reported as a bug and raised on, never a second answer.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.ingress.error_responses import (
    gateway_error_response,
    internal_error_response,
    method_not_allowed_response,
    no_route_response,
)
from coderouter_supervisor.worker.ingress.route_table import (
    MethodNotAllowed,
    RedirectTo,
    Route,
    RouteTable,
    Serve,
)

Lifespan = Callable[[], AbstractAsyncContextManager[Mapping[str, object]]]


class Dispatcher:
    """Serves ``routes``; ``lifespan`` is entered at the server's startup and left at its shutdown,
    and what it yields is every request's ``state`` (uvicorn copies it into each request's scope)."""

    def __init__(self, routes: Iterable[Route], lifespan: Lifespan) -> None:
        self._table = RouteTable(routes)
        self._lifespan = lifespan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._run_lifespan(scope, receive, send)
            else:
                await WebSocketClose()(scope, receive, send)  # no route takes a websocket
            return
        request = Request(scope, receive, send)
        decision = self._table.decide(scope["method"], scope["path"], scope.get("root_path", ""))
        response: ASGIApp
        try:
            if isinstance(decision, Serve):
                if decision.path_params:
                    scope["path_params"] = decision.path_params
                try:
                    response = await decision.endpoint(request)
                except GatewayError as exc:
                    response = gateway_error_response(request, exc)
                    # An instance raised again would otherwise keep every traceback it collected.
                    exc.__traceback__ = None
            elif isinstance(decision, MethodNotAllowed):
                response = method_not_allowed_response(request, decision.allow)
            elif isinstance(decision, RedirectTo):
                response = RedirectResponse(str(URL(scope={**scope, "path": decision.path})))
            else:
                response = no_route_response(request)
        except Exception as exc:
            await internal_error_response(request, exc)(scope, receive, send)
            raise
        try:
            await response(scope, receive, send)
        except Exception as exc:
            internal_error_response(request, exc)  # logged; the answer has started, so it is not sent
            raise

    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI lifespan protocol around ``self._lifespan``; a failure is reported to the
        server (which then refuses to serve, or logs the shutdown's failure) and raised on."""
        started = False
        await receive()  # lifespan.startup
        try:
            async with self._lifespan() as state:
                scope["state"].update(state)
                await send({"type": "lifespan.startup.complete"})
                started = True
                await receive()  # lifespan.shutdown
        except BaseException:
            failed = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
            await send({"type": failed, "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.shutdown.complete"})
