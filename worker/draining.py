"""How a worker stops serving: finish what it has, and end keep-alive connections without a reset.

uvicorn's shutdown closes an idle keep-alive connection at once. A client that sent its next request
just then (the request crossing our FIN) gets a reset or an empty reply for a request it already sent,
and HTTP clients do not retry a POST: under 16 keep-alive clients a reload failed 10 of 600 requests
that way. Here, once a worker drains, every response it starts says ``Connection: close`` and is the
last on its connection, and an idle connection stays open for a short grace: a request that arrives in
it is answered (with ``Connection: close``), so the client learns from the answer itself not to reuse
the connection. Only a connection idle for the whole grace is closed unasked, as any keep-alive
timeout would.

Each worker listens on its own socket (``SO_REUSEPORT``, see ``etc/gunicorn.conf.py``), so closing it
would reset the connections the kernel already queued on it. Before closing, the server accepts
whatever is queued and serves it like any other connection; what is left is the few microseconds
between that last ``accept`` and the ``close``. (Linux >= 5.14 with ``net.ipv4.tcp_migrate_req=1``
hands even those to another worker.)
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

# Longer than a busy client's pause between two requests on one connection (milliseconds), short
# enough that a drain waiting only for idle connections ends soon after the last answer.
IDLE_GRACE_S = 3.0

_CLOSE_HEADER = (b"connection", b"close")


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose shutdown answers every request it still gets with ``Connection: close``.

    Use it with a protocol from :func:`draining_protocol`, which keeps idle connections open for
    ``IDLE_GRACE_S`` instead of closing them at once.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Responses copy the server's default headers when their request arrives, so every request
        # from now on, on any connection, is answered as the connection's last.
        self.server_state.default_headers = [*self.server_state.default_headers, _CLOSE_HEADER]
        for listener in sockets or []:
            self._serve_queued(listener)
        # No await between the last accept above and the listeners' close: uvicorn closes them first.
        await super().shutdown(sockets)

    def _serve_queued(self, listener: socket.socket) -> None:
        """Accept every connection queued on ``listener`` (non-blocking under asyncio) and serve it
        as a draining connection."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # the listener is already unusable; nothing more to take from it
            connection.setblocking(False)
            task = loop.create_task(self._serve_accepted(connection))
            self.server_state.tasks.add(task)
            task.add_done_callback(self.server_state.tasks.discard)

    async def _serve_accepted(self, connection: socket.socket) -> None:
        config = self.config

        def create_protocol() -> asyncio.Protocol:
            # As uvicorn's own factory in Server.startup.
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        try:
            _, protocol = await asyncio.get_running_loop().connect_accepted_socket(
                create_protocol, connection, ssl=config.ssl
            )
        except OSError:
            connection.close()  # the client left already
            return
        protocol.shutdown()  # type: ignore[attr-defined]


def _shutdown_gracefully(protocol: Any) -> None:
    """``shutdown()`` for uvicorn's HTTP protocols (h11 and httptools share these attributes)."""
    cycle = protocol.cycle
    if cycle is None or cycle.response_complete:
        # Idle: wait for a request that may be on its way; the keep-alive timer closes it otherwise.
        if protocol.timeout_keep_alive_task is not None:
            protocol.timeout_keep_alive_task.cancel()
        protocol.timeout_keep_alive_task = protocol.loop.call_later(
            IDLE_GRACE_S, protocol.timeout_keep_alive_handler
        )
        return
    cycle.keep_alive = False
    if not cycle.response_started:
        cycle.default_headers = [*cycle.default_headers, _CLOSE_HEADER]


class DrainingH11Protocol(H11Protocol):
    def shutdown(self) -> None:
        _shutdown_gracefully(self)


def draining_protocol() -> type[asyncio.Protocol]:
    """The HTTP protocol uvicorn's ``http="auto"`` would pick (httptools if importable, else h11),
    with :func:`_shutdown_gracefully` as its ``shutdown()``."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol  # noqa: PLC0415
    except ImportError:
        return DrainingH11Protocol

    class DrainingHttpToolsProtocol(HttpToolsProtocol):
        def shutdown(self) -> None:
            _shutdown_gracefully(self)

    return DrainingHttpToolsProtocol
