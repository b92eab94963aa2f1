"""The one ASGI layer in front of the gateway's app, and of the supervisor's admin endpoint.

Every request passes through it, and so does every message the app sends (on a stream, every
event), so its jobs share one ``__call__`` and one ``send`` wrapper instead of stacking a layer,
and a call frame per message, each. Each job's decision lives in its own module:

* headers over the limits are refused (:mod:`.header_limits`), and on a loopback bind so is a
  foreign ``Host`` (:mod:`.host_guard`): both decided before the app runs, neither touches ``send``;
* model calls are counted for the heartbeat (:class:`~coderouter_supervisor.worker.heartbeat.RequestCounter`);
* each request gets its id (:mod:`.request_id`), returned as ``x-request-id`` and set for every
  event logged while it is served;
* each model call ends with one ``request-completed`` event (:mod:`.request_log`);
* what the request's large steps kept is let go of off the event loop once it has ended
  (:class:`~coderouter_supervisor.worker.offload.FreeOffLoop`).

The ``send`` wrapper also drops what the app sends after a client shut down its sending side:
uvicorn's h11 protocol then raises from ``send`` instead of ignoring it as it does for a client that
closed the connection, and the app would report that as an internal error.
"""

from __future__ import annotations

import time

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coderouter_supervisor.worker.adapters import model_call_protocol
from coderouter_supervisor.worker.heartbeat import RequestCounter
from coderouter_supervisor.worker.ingress.header_limits import header_refusal
from coderouter_supervisor.worker.ingress.host_guard import foreign_host_refusal
from coderouter_supervisor.worker.ingress.request_id import request_id_from
from coderouter_supervisor.worker.ingress.request_log import RequestSummary
from coderouter_supervisor.worker.offload import FreeOffLoop
from coderouter_supervisor.worker.telemetry import current_request_answer, current_request_id


class FrontDoor:
    """Serves ``app`` behind the refusals; with the gateway's ``counter`` each request is also counted,
    named, logged and kept (the gateway's jobs), without one (the admin endpoint) it is only let in.
    ``loopback_only``: refuse requests addressed to a name that is not loopback (a loopback bind)."""

    def __init__(self, app: ASGIApp, *, loopback_only: bool, counter: RequestCounter | None = None) -> None:
        self.app = app
        self._loopback_only = loopback_only
        self._counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = header_refusal(scope)
        if refusal is None and self._loopback_only:
            refusal = foreign_host_refusal(scope)
        echoed: tuple[bytes, bytes] | None = None
        summary: RequestSummary | None = None

        async def send_answer(message: Message) -> None:
            if message["type"] == "http.response.start" and echoed is not None:
                headers = message.get("headers", [])
                if summary is not None:
                    summary.answer_started(message["status"], headers)
                message["headers"] = [*headers, echoed]
            # Not contextlib.suppress: that builds a context manager for every event of a stream.
            try:  # noqa: SIM105
                await send(message)
            except h11.LocalProtocolError:
                pass  # the client half-closed: see the module docstring

        if self._counter is None:
            await (self.app if refusal is None else refusal)(scope, receive, send_answer)
            return
        request_id = request_id_from(scope["headers"])
        echoed = (b"x-request-id", request_id.encode())
        id_token = current_request_id.set(request_id)
        client = model_call_protocol(scope["path"])
        if client is not None:
            self._counter.count_one()
            summary = RequestSummary(client.name, started=time.monotonic())
        answer_token = None if summary is None else current_request_answer.set(summary.answer)
        try:
            if refusal is not None:
                await refusal(scope, receive, send_answer)
            else:
                with FreeOffLoop():
                    await self.app(scope, receive, send_answer)
        finally:
            if summary is not None:
                summary.emit(ended=time.monotonic())
            if answer_token is not None:
                current_request_answer.reset(answer_token)
            current_request_id.reset(id_token)
