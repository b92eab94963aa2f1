"""gunicorn settings used by `coderouter-supervisor start`.

The supervisor passes bind, workers and graceful timeout on the command line (they come
from flags, environment or providers.yaml) and hands workers their config snapshot and
state file through the environment. What stays here is policy that does not vary.
"""

import os
import time

worker_class = "coderouter_supervisor.worker.gunicorn_worker.GatewayWorker"

# Workers are found through the supervisor's pid file; a control socket at gunicorn's
# default path would collide between two instances run by one user.
control_socket_disable = True

# The arbiter checks worker liveness through a file each worker touches; on an SD card or
# a disk-backed /tmp that is a write per second per worker, on tmpfs it is free.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# A worker whose event loop is blocked this long is killed. Streams are not affected:
# for async workers this is a liveness heartbeat, not a request deadline.
timeout = 30

# Longer than typical client idle timeouts, so the server is not the side that closes a
# keep-alive connection just as a client reuses it.
keepalive = 75

# A listening socket per worker (SO_REUSEPORT): the kernel spreads new connections over the
# workers by address hash. With one shared socket, asyncio accepts every pending connection in
# whichever worker wakes first, so a burst of keep-alive clients all landed in one worker.
# Each worker opens its socket after fork and the arbiter holds none (benoitc/gunicorn#2938,
# in every gunicorn this package accepts), so no connection waits on a socket nobody accepts on.
# The supervisor's port check before start still refuses a port another process listens on.
reuse_port = True

accesslog = None
errorlog = "-"
loglevel = "info"

# The arbiter's lines as JSON events (``server-log``), like every other line the gateway prints.
# Workers inherit this at fork; their app factory then routes these loggers, uvicorn's and the root
# logger to the worker's own handlers (coderouter_supervisor.worker.telemetry.configure_event_log).
_json_stderr = ["json-stderr"]
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "coderouter_supervisor.worker.telemetry.JsonLineFormatter",
            "process": "arbiter",
            "forked": "worker",
        }
    },
    "handlers": {
        "json-stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "root": {"level": "WARNING", "handlers": _json_stderr},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": _json_stderr, "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": _json_stderr, "propagate": False},
    },
}


def child_exit(server, worker):
    """Mark a reaped worker exited at once, so `status` need not wait for its heartbeat to age."""
    state_db = os.environ.get("CODEROUTER_STATE_DB")
    if not state_db:
        return
    from pathlib import Path

    from coderouter_supervisor.state import StateError, state_admin

    try:
        state_admin(Path(state_db)).mark_pid_exited(worker.pid, time.time())
    except StateError as exc:
        server.log.warning("cannot mark worker %s exited: %s", worker.pid, exc)
