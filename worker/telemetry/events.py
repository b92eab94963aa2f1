"""Structured events: one JSON object per line on stderr.

Event names are the stable interface for log consumers (``reload-refused``,
``worker-started``, …). Fields are plain JSON values; secrets are never passed in.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Literal

Level = Literal["debug", "info", "warning", "error"]

_LOGGER_NAME = "coderouter"
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
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_event_log(process: str) -> None:
    """Send events to stderr as JSON lines tagged with ``process``; replaces earlier setup."""
    logger = logging.getLogger(_LOGGER_NAME)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for old in list(logger.handlers):
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter(process))
    logger.addHandler(handler)


def emit_event(event: str, level: Level = "info", **fields: object) -> None:
    """Log one structured event. Callers pass names and values, never secrets."""
    logging.getLogger(_LOGGER_NAME).log(_LEVELS[level], event, extra={"fields": fields})
