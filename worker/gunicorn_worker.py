"""The gunicorn worker class: uvicorn's, with our lifespan and drain policy."""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker


class GatewayWorker(UvicornWorker):
    """A UvicornWorker whose startup failure is fatal and whose drain matches gunicorn's.

    ``lifespan: on`` makes a worker that cannot open the state file refuse to serve.
    uvicorn-worker does not pass gunicorn's ``graceful_timeout`` on to uvicorn, so without
    it uvicorn would wait for open streams until gunicorn SIGKILLs the process; with it,
    uvicorn ends them itself a moment earlier and still runs the lifespan shutdown.
    """

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "auto",
        "http": "auto",
        "lifespan": "on",
        "server_header": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.timeout_graceful_shutdown = max(1, int(self.cfg.graceful_timeout) - 2)
