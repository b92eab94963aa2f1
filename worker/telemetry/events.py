"""Structured events: one JSON object per line on stderr.

Event names are the stable interface for log consumers (``reload-refused``,
``worker-started``, …). Fields are plain JSON values; secrets are never passed in. An event
logged while a client request is being served carries that request's ``request_id``.
With an events path, every line also goes to a JSONL file (see :mod:`.event_file`).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from coderouter_supervisor.worker.telemetry.event_file import EventFileHandler

Level = Literal["debug", "info", "warning", "error"]

LOGGER_NAME = "coderouter"
EVENTS_PATH_VAR = "CODEROUTER_EVENTS_PATH"

# The id of the client request being served in this context (asyncio copies it into tasks).
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
# The name (never the key) of the client key that request authenticated with.
current_client_key: ContextVar[str | None] = ContextVar("current_client_key", default=None)
_LEVELS: dict[Level, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class JsonLineFormatter(logging.Formatter):
    """Render a record as ``{"ts", "level", "event", "process", **fields}`` on one line."""

    def __init__(self, process: str) -> None:
        super().__init__()
        self.process = process

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            "process": self.process,
            "pid": record.process,
        }
        request_id = current_request_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        client = current_client_key.get()
        if client is not None:
            line["key"] = client
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_event_log(process: str, events_path: Path | None = None) -> None:
    """Send events to stderr as JSON lines tagged with ``process``, and to ``events_path`` too when
    given; replaces earlier setup. Raises ``OSError`` when the events file cannot be opened."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if events_path is not None:
        handlers.append(EventFileHandler(events_path))
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.setFormatter(JsonLineFormatter(process))
        logger.addHandler(handler)


def events_path(env: Mapping[str, str], configured: str | None) -> Path | None:
    """Where to mirror events: ``$CODEROUTER_EVENTS_PATH``, else ``supervisor.events_path``, else nowhere."""
    chosen = env.get(EVENTS_PATH_VAR) or configured
    return Path(chosen).expanduser() if chosen else None


def emit_event(event: str, level: Level = "info", **fields: object) -> None:
    """Log one structured event. Callers pass names and values, never secrets."""
    logging.getLogger(LOGGER_NAME).log(_LEVELS[level], event, extra={"fields": fields})
