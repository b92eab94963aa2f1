"""The gunicorn worker class: uvicorn's, with our lifespan and drain policy."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from gunicorn.arbiter import Arbiter
from uvicorn_worker import UvicornWorker

from coderouter_supervisor.worker.draining import DrainingServer, draining_protocol


class GatewayWorker(UvicornWorker):
    """A UvicornWorker whose startup failure is fatal and whose drain matches gunicorn's.

    ``lifespan: on`` makes a worker that cannot open the state file refuse to serve.
    uvicorn-worker does not pass gunicorn's ``graceful_timeout`` on to uvicorn, so without
    it uvicorn would wait for open streams until gunicorn SIGKILLs the process; with it,
    uvicorn ends them itself a moment earlier and still runs the lifespan shutdown.
    A stopping worker (stop, reload) ends its keep-alive connections cleanly (:mod:`.draining`).
    """

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "auto",
        "http": draining_protocol(),
        "lifespan": "on",
        "server_header": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_graceful_shutdown = max(1, int(self.cfg.graceful_timeout) - 2)

    async def _serve(self) -> None:
        # UvicornWorker._serve, with the draining server in place of uvicorn's.
        self.config.app = self.wsgi
        server = DrainingServer(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            # gunicorn's contract: this exit code tells the arbiter the worker could not boot.
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
