"""Structured events: one JSON object per line on stderr.

Event names are the stable interface for log consumers (``reload-refused``,
``worker-started``, …). Fields are plain JSON values; secrets are never passed in. An event
logged while a client request is being served carries that request's ``request_id``.
With an events path, every line also goes to a JSONL file (see :mod:`.event_file`).

Observers (the metric book) see every event, whatever the log level; a line is built only for an
event at or above ``$CODEROUTER_LOG_LEVEL`` (default ``info``). The per-attempt events of a served
request are at ``debug``: at ``info`` its one line is ``request-completed``, which carries
:class:`RequestAnswer`'s facts.

The servers we run under (gunicorn, uvicorn) and any library warning reaching the root logger go
through the same handlers, as ``server-log`` events, so every line a process prints is JSON. Our
own events skip the ``LogRecord`` while the logger has only the handlers set up here (see
:class:`_DirectLines`); the lines are the same either way.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from coderouter_supervisor.worker.telemetry.event_file import EventFileHandler

Level = Literal["debug", "info", "warning", "error"]

LOGGER_NAME = "coderouter"
# Where a foreign record (gunicorn, uvicorn, a library) is rendered: the event, its text in ``message``.
SERVER_LOG_EVENT = "server-log"
# Loggers that would otherwise print plain text: the servers' own ("access" ones are off, but if a
# setting turns them on they stay JSON) and the root logger, which catches any library's warnings.
SERVER_LOGGERS = ("gunicorn.error", "gunicorn.access", "uvicorn.error", "uvicorn.access")
EVENTS_PATH_VAR = "CODEROUTER_EVENTS_PATH"
LOG_LEVEL_VAR = "CODEROUTER_LOG_LEVEL"

# The id of the client request being served in this context (asyncio copies it into tasks).
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)
# The name (never the key) of the client key that request authenticated with.
current_client_key: ContextVar[str | None] = ContextVar("current_client_key", default=None)


@dataclass
class RequestAnswer:
    """What ``request-completed`` reports about the attempts of one client request: the provider
    that answered, its latency (to first content for a stream) and, when a priced provider was
    tried, what the request cost. Set per request by ingress, filled in by the engine's recorder."""

    provider: str | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None


# Mutable and shared by reference, so that what the engine fills in inside a stream's own task is
# seen by the middleware that logs the request's end.
current_request_answer: ContextVar[RequestAnswer | None] = ContextVar("current_request_answer", default=None)

EventObserver = Callable[[str, Mapping[str, object]], None]
# Called with every event before (and whether or not) it is logged.
_observers: list[EventObserver] = []
_logger = logging.getLogger(LOGGER_NAME)
_LEVELS: dict[Level, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
# What an operator may set; "error" alone would hide the failures an operator must see.
_SETTABLE_LEVELS: tuple[Level, ...] = ("debug", "info", "warning")


# One encoder for every line: ``json.dumps`` with options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonLineFormatter(logging.Formatter):
    """Render a record as ``{"ts", "level", "event", "process", **fields}`` on one line."""

    def __init__(self, process: str, forked: str | None = None) -> None:
        """``forked``: how to tag records of a child forked from this process before it configures
        its own logging (gunicorn's workers log their first lines through the arbiter's handlers)."""
        super().__init__()
        self.process = process
        self.forked = forked
        self._pid = os.getpid()
        # The last second rendered and its text (one tuple, so a thread never pairs one second with
        # another's text): a process writes many lines per second.
        self._stamp: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        event = record.getMessage() if isinstance(fields, dict) else SERVER_LOG_EVENT
        line = self._head(
            int(record.created), int(record.msecs), record.levelname.lower(), event, record.process
        )
        if not isinstance(fields, dict):  # not one of our events: keep its text out of ``event``
            line["logger"] = record.name
            line["message"] = record.getMessage()
            fields = {"exception": self.formatException(record.exc_info)} if record.exc_info else {}
        return self._finish(line, fields)

    def render_event(
        self, now_ns: int, level: Level, event: str, pid: int, fields: Mapping[str, object]
    ) -> str:
        """The line :meth:`format` makes of ``emit_event(event, level, **fields)``'s record, for an
        event of process ``pid`` at ``now_ns`` (``time.time_ns()``), without building the record."""
        second, nanos = divmod(now_ns, 1_000_000_000)
        return self._finish(self._head(second, nanos // 1_000_000, level, event, pid), fields)

    def _head(self, second: int, millis: int, level: str, event: str, pid: int | None) -> dict[str, object]:
        stamped, text = self._stamp
        if second != stamped:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._stamp = (second, text)
        return {
            "ts": f"{text}.{millis:03d}Z",
            "level": level,
            "event": event,
            "process": self.process if self.forked is None or pid == self._pid else self.forked,
            "pid": pid,
        }

    @staticmethod
    def _finish(line: dict[str, object], fields: Mapping[str, object]) -> str:
        request_id = current_request_id.get()
        if request_id is not None:
            line["request_id"] = request_id
        client = current_client_key.get()
        if client is not None:
            line["key"] = client
        line.update(fields)
        return _JSON.encode(line)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """stderr's handler, which also takes a line :func:`emit_event` rendered."""

    def write_line(self, line: str) -> None:
        """Write ``line`` as :meth:`emit` writes a formatted record; the caller holds the lock and
        handles what this raises."""
        self.stream.write(line + self.terminator)
        self.flush()


_LineHandler = _StderrHandler | EventFileHandler


class _DirectLines:
    """The handlers :func:`configure_event_log` put on our logger, and their one formatter.

    While the logger has exactly these (nothing added a handler, a filter or propagation), an
    event's line is rendered once and handed to each handler under its lock: the same line, in the
    same one write, as through ``Logger.log``, without a ``LogRecord`` (caller lookup, thread and
    process names) and without formatting it once per handler. These handlers have no level or
    filter of their own."""

    def __init__(self) -> None:
        self._formatter = JsonLineFormatter("")
        self._handlers: list[_LineHandler] = []

    def install(self, formatter: JsonLineFormatter, handlers: list[_LineHandler]) -> None:
        self._formatter, self._handlers = formatter, handlers

    def serves(self, logger: logging.Logger) -> bool:
        handlers = self._handlers
        return bool(handlers) and logger.handlers == handlers and not logger.filters and not logger.propagate

    def write(self, number: int, level: Level, event: str, fields: Mapping[str, object]) -> None:
        handlers = self._handlers
        try:
            line = self._formatter.render_event(time.time_ns(), level, event, os.getpid(), fields)
        except Exception:
            for handler in handlers:
                handler.handleError(_failed_record(number, event))
            return
        for handler in handlers:
            handler.acquire()
            try:
                handler.write_line(line)
            except Exception:
                handler.handleError(_failed_record(number, event))
            finally:
                handler.release()


def _failed_record(number: int, event: str) -> logging.LogRecord:
    """A record for ``Handler.handleError`` to name the event it could not write."""
    return logging.LogRecord(LOGGER_NAME, number, __file__, 0, event, None, None)


_direct = _DirectLines()


def configure_event_log(
    process: str, events_path: Path | None = None, env: Mapping[str, str] = os.environ
) -> None:
    """Send events at or above ``$CODEROUTER_LOG_LEVEL`` to stderr as JSON lines tagged with
    ``process``, and to ``events_path`` too when given, with the servers' and the root logger's
    records; replaces earlier setup (levels of the servers' loggers stay as their server set them).
    Raises ``ValueError`` naming the variable when it is not a level, before changing anything, and
    ``OSError`` when the events file cannot be opened."""
    level = log_level(env)
    handlers: list[_LineHandler] = [_StderrHandler(sys.stderr)]
    if events_path is not None:
        handlers.append(EventFileHandler(events_path))
    formatter = JsonLineFormatter(process)
    for handler in handlers:
        handler.setFormatter(formatter)
    _direct.install(formatter, handlers)
    _logger.setLevel(_LEVELS[level])
    replaced: set[logging.Handler] = set()
    for name in (LOGGER_NAME, *SERVER_LOGGERS, None):
        logger = logging.getLogger(name)
        replaced.update(logger.handlers)
        # A fresh list each: a uvicorn worker shares one list object between gunicorn's and uvicorn's
        # loggers, which clearing in place would empty twice.
        logger.handlers = list(handlers)
        if name is not None:
            logger.propagate = False  # or the root logger would print it a second time
    for old in replaced - set(handlers):
        old.close()


def events_path(env: Mapping[str, str], configured: str | None) -> Path | None:
    """Where to mirror events: ``$CODEROUTER_EVENTS_PATH``, else ``supervisor.events_path``, else nowhere."""
    chosen = env.get(EVENTS_PATH_VAR) or configured
    return Path(chosen).expanduser() if chosen else None


def log_level(env: Mapping[str, str]) -> Level:
    """``$CODEROUTER_LOG_LEVEL`` (``info`` when unset); raises ``ValueError`` naming it otherwise."""
    raw = env.get(LOG_LEVEL_VAR, "").strip()
    if not raw:
        return "info"
    for level in _SETTABLE_LEVELS:
        if raw.lower() == level:
            return level
    raise ValueError(f"{LOG_LEVEL_VAR}={raw!r}: expected one of {', '.join(_SETTABLE_LEVELS)}")


def add_event_observer(observer: EventObserver) -> None:
    """Have ``observer`` called with every event's name and fields, at every log level."""
    _observers.append(observer)


def remove_event_observer(observer: EventObserver) -> None:
    """Stop calling ``observer``; a no-op when it is not registered."""
    if observer in _observers:
        _observers.remove(observer)


def emit_event(event: str, level: Level = "info", **fields: object) -> None:
    """Hand one structured event to the observers, and log it when its level is enabled. Callers pass
    names and values, never secrets."""
    for observer in _observers:
        observer(event, fields)
    number = _LEVELS[level]
    if not _logger.isEnabledFor(number):
        return
    if _direct.serves(_logger):
        _direct.write(number, level, event, fields)
    else:
        _logger.log(number, event, extra={"fields": fields})
