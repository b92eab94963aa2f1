"""The event line: our events are written without a ``LogRecord``, byte for byte as the record
path renders them, through the same handlers as the servers' own records."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import pytest

from coderouter_supervisor.worker.telemetry import (
    JsonLineFormatter,
    configure_event_log,
    current_client_key,
    current_request_id,
    emit_event,
)
from coderouter_supervisor.worker.telemetry.events import LOGGER_NAME, SERVER_LOGGERS, Level

# 2026-12-07T16:57:12.345Z, exactly representable so that every Python computes the same msecs.
CREATED = 1796662632.25
CREATED_NS = 1796662632_250_000_000


def reference_line(record: logging.LogRecord, process: str, forked: str | None = None) -> str:
    """The line as the formatter wrote it before our events skipped the record, written out here
    so that any change of a field, its order or its encoding shows."""
    line: dict[str, object] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower(),
        "event": record.getMessage(),
        "process": process if forked is None or record.process == os.getpid() else forked,
        "pid": record.process,
    }
    fields = getattr(record, "fields", None)
    if not isinstance(fields, dict):
        line["event"] = "server-log"
        line["logger"] = record.name
        line["message"] = record.getMessage()
        fields = (
            {"exception": logging.Formatter().formatException(record.exc_info)} if record.exc_info else {}
        )
    context = {"request_id": current_request_id.get(), "key": current_client_key.get()}
    line.update({name: value for name, value in context.items() if value is not None})
    line.update(fields)
    return json.dumps(line, ensure_ascii=False, default=str)


def _event_record(event: str, level: Level, fields: dict[str, object], created: float) -> logging.LogRecord:
    """The record ``emit_event`` made before: ``Logger.log(level, event, extra={"fields": ...})``."""
    record = logging.getLogger(LOGGER_NAME).makeRecord(
        LOGGER_NAME,
        logging.getLevelName(level.upper()),
        __file__,
        1,
        event,
        (),
        None,
        extra={"fields": fields},
    )
    record.created, record.msecs = created, (created - int(created)) * 1000
    return record


def _server_record(exc_info: bool) -> logging.LogRecord:
    caught = None
    if exc_info:
        try:
            raise RuntimeError("worker boot failed: ü")
        except RuntimeError:
            caught = sys.exc_info()
    record = logging.LogRecord(
        "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application %s", ("/v1/x",), caught
    )
    record.created, record.msecs = CREATED, 250.0
    return record


EVENTS = [
    pytest.param(
        "request-completed",
        "info",
        {
            "ingress": "anthropic",
            "profile": "default",
            "status": 200,
            "duration_ms": 12.5,
            "key": "team-a",
            "provider": "claude",
            "latency_ms": 3.2,
            "cost_usd": 0.001235,
        },
        ("req-42", "team-a"),
        id="request-completed-with-context",
    ),
    pytest.param(
        "request-completed",
        "info",
        {"ingress": "openai", "profile": None, "status": 499, "duration_ms": 1.0, "key": None},
        (None, None),
        id="no-context-key-field-null",
    ),
    pytest.param(
        "provider-failed",
        "warning",
        {"provider": "ollama-ß", "error": "connexion refusée — 接続"},
        ("req-43", None),
        id="non-ascii",
    ),
    pytest.param(
        "budget-reserved",
        "debug",
        {"amount": Decimal("0.10"), "path": Path("/var/state.db"), "tags": ["a", 1]},
        (None, "k"),
        id="needs-default-str",
    ),
]


@pytest.fixture
def context() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def _enter(stack: ExitStack, request_id: str | None, key: str | None) -> None:
    rid, client = current_request_id.set(request_id), current_client_key.set(key)
    stack.callback(current_request_id.reset, rid)
    stack.callback(current_client_key.reset, client)


@pytest.mark.parametrize(("event", "level", "fields", "ctx"), EVENTS)
def test_an_event_renders_as_its_record_did(
    event: str,
    level: Level,
    fields: dict[str, object],
    ctx: tuple[str | None, str | None],
    context: ExitStack,
) -> None:
    _enter(context, *ctx)
    formatter = JsonLineFormatter("worker")
    expected = reference_line(_event_record(event, level, fields, CREATED), "worker")

    assert formatter.render_event(CREATED_NS, level, event, os.getpid(), fields) == expected
    assert formatter.format(_event_record(event, level, fields, CREATED)) == expected


@pytest.mark.parametrize("exc_info", [pytest.param(False, id="plain"), pytest.param(True, id="exception")])
@pytest.mark.parametrize("forked", [pytest.param(None, id="own"), pytest.param("worker", id="forked-tag")])
def test_a_server_record_renders_as_before(exc_info: bool, forked: str | None, context: ExitStack) -> None:
    _enter(context, "req-7", "team-b")
    record = _server_record(exc_info)
    record.process = os.getpid() + 1 if forked else os.getpid()

    assert JsonLineFormatter("arbiter", forked).format(record) == reference_line(record, "arbiter", forked)


def test_a_second_boundary_is_not_rendered_with_the_last_seconds_text() -> None:
    formatter = JsonLineFormatter("worker")
    before, after = 1796662632_999_000_000, 1796662633_000_000_000

    lines = [
        json.loads(formatter.render_event(ns, "info", "e", 1, {}))["ts"] for ns in (before, after, before)
    ]

    assert lines == ["2026-12-07T16:57:12.999Z", "2026-12-07T16:57:13.000Z", "2026-12-07T16:57:12.999Z"]


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[io.StringIO, Path]]:
    """``configure_event_log`` as a worker runs it, stderr captured; every logger it touches restored."""
    names = (LOGGER_NAME, *SERVER_LOGGERS, None)
    loggers = [logging.getLogger(n) for n in names]
    saved = [(logger, logger.handlers, logger.propagate, logger.level, logger.disabled) for logger in loggers]
    disabled_below = logging.root.manager.disable
    # Earlier tests in the same process (a server's logging setup) may have left a server logger
    # disabled or quieter; a worker starts from loggers as its servers configure them.
    logging.disable(logging.NOTSET)
    for logger in loggers[1:-1]:
        logger.disabled = False
        logger.setLevel(logging.NOTSET)
    stderr, events = io.StringIO(), tmp_path / "events.jsonl"
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setenv("CODEROUTER_LOG_LEVEL", "info")
    configure_event_log("worker", events)
    try:
        yield stderr, events
    finally:
        for logger, handlers, propagate, level, disabled in saved:
            for handler in logger.handlers:
                handler.close()
            logger.handlers, logger.propagate, logger.disabled = handlers, propagate, disabled
            logger.setLevel(level)
        logging.disable(disabled_below)


def _written(configured: tuple[io.StringIO, Path]) -> tuple[list[str], list[str]]:
    stderr, events = configured
    return stderr.getvalue().splitlines(), events.read_text(encoding="utf-8").splitlines()


def _without_ts(line: str) -> dict[str, object]:
    parsed = json.loads(line)
    del parsed["ts"]
    return parsed


def test_events_and_server_records_reach_stderr_and_the_file_as_the_same_lines(
    configured: tuple[io.StringIO, Path], context: ExitStack
) -> None:
    _enter(context, "req-9", "team-c")
    before = time.time()
    emit_event("request-completed", status=200, note="é")
    emit_event("try-provider", "debug", provider="local")  # below the level: not written
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("boom")
    after = time.time()

    on_stderr, in_file = _written(configured)
    assert on_stderr == in_file
    [ours, server] = on_stderr
    record = _event_record("request-completed", "info", {"status": 200, "note": "é"}, before)
    assert list(json.loads(ours)) == list(json.loads(reference_line(record, "worker")))
    assert _without_ts(ours) == _without_ts(reference_line(record, "worker"))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(before)))
    assert stamp <= json.loads(ours)["ts"][:19] <= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(after))
    assert '"note": "é"' in ours
    assert (json.loads(server)["event"], json.loads(server)["message"]) == ("server-log", "boom")
    assert "ValueError: bad" in str(json.loads(server)["exception"])


def test_a_handler_added_to_the_logger_still_gets_every_record(configured: tuple[io.StringIO, Path]) -> None:
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    logger = logging.getLogger(LOGGER_NAME)
    collect = Collect()
    logger.addHandler(collect)
    try:
        emit_event("request-completed", status=201)
    finally:
        logger.removeHandler(collect)
    emit_event("request-completed", status=202)

    assert [(r.getMessage(), getattr(r, "fields", None)) for r in seen] == [
        ("request-completed", {"status": 201})
    ]
    on_stderr, in_file = _written(configured)
    assert [json.loads(line)["status"] for line in on_stderr] == [201, 202]
    assert on_stderr == in_file


def test_the_log_level_setting_still_filters(
    configured: tuple[io.StringIO, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stderr", configured[0])  # pytest swaps its own back in for the test body
    configure_event_log("worker", configured[1], env={"CODEROUTER_LOG_LEVEL": "warning"})

    emit_event("request-completed", status=200)
    emit_event("provider-failed", "warning", provider="local")

    on_stderr, _ = _written(configured)
    assert [json.loads(line)["event"] for line in on_stderr] == ["provider-failed"]


def test_an_event_that_cannot_be_rendered_is_reported_and_skipped(
    configured: tuple[io.StringIO, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    looped: list[object] = []
    looped.append(looped)

    emit_event("request-completed", status=200, looped=looped)
    emit_event("request-completed", status=201)

    on_stderr, in_file = _written(configured)
    assert [json.loads(line)["status"] for line in on_stderr] == [201]
    assert on_stderr == in_file
    # Handler.handleError's report, once per handler, as when each handler formatted the record.
    assert capsys.readouterr().err.count("Circular reference detected") == 2
