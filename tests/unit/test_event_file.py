"""The JSONL events mirror: whole lines from concurrent processes, rotation, request ids."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path

import pytest

from coderouter_supervisor.worker.ingress.request_id import request_id_from
from coderouter_supervisor.worker.telemetry import JsonLineFormatter, current_request_id

from support.event_writer import write_events

LINES_PER_WRITER = 3000


def test_concurrent_writers_produce_only_whole_lines_across_rotations(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "events.jsonl"
    ctx = multiprocessing.get_context("spawn")
    writers = [
        ctx.Process(target=write_events, args=(str(path), w, LINES_PER_WRITER, 150_000)) for w in range(4)
    ]
    for process in writers:
        process.start()
    for process in writers:
        process.join(60)
        assert process.exitcode == 0

    rotated = path.with_name("events.jsonl.1")
    assert rotated.exists(), "the size limit was passed, so the file must have rotated"
    seen = 0
    for file in (path, rotated):
        for line in file.read_text().splitlines():
            record = json.loads(line)  # a torn or interleaved line would not parse
            assert record["event"] == "test-event" and len(record["pad"]) == 200
            seen += 1
    assert 0 < seen <= 4 * LINES_PER_WRITER
    assert (path.stat().st_mode & 0o777) == 0o600


def test_the_current_request_id_rides_on_every_event() -> None:
    formatter = JsonLineFormatter("worker")
    record = logging.LogRecord("coderouter", logging.INFO, __file__, 1, "try-provider", None, None)
    assert "request_id" not in json.loads(formatter.format(record))
    token = current_request_id.set("req-42")
    try:
        assert json.loads(formatter.format(record))["request_id"] == "req-42"
    finally:
        current_request_id.reset(token)


def test_a_servers_own_record_is_an_event_with_its_text_as_message() -> None:
    formatter = JsonLineFormatter("arbiter")
    record = logging.LogRecord(
        "gunicorn.error", logging.INFO, __file__, 1, "Booting worker with pid: %s", (42,), None
    )
    rendered = json.loads(formatter.format(record))
    assert (rendered["event"], rendered["logger"], rendered["message"]) == (
        "server-log",
        "gunicorn.error",
        "Booting worker with pid: 42",
    )
    assert rendered["process"] == "arbiter"


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        pytest.param(b"abc-123_X.y:z", True, id="token"),
        pytest.param(b"a" * 128, True, id="longest"),
        pytest.param(b"a" * 129, False, id="too-long"),
        pytest.param(b"two words", False, id="space"),
        pytest.param(b'x", "level": "error', False, id="json-forgery"),
        pytest.param(b"", False, id="empty"),
    ],
)
def test_only_sane_incoming_request_ids_are_kept(header: bytes, kept: bool) -> None:
    chosen = request_id_from([(b"x-request-id", header)])
    if kept:
        assert chosen == header.decode()
    else:
        assert chosen != header.decode() and len(chosen) == 32


def test_a_missing_request_id_is_generated_fresh() -> None:
    assert request_id_from([]) != request_id_from([])
