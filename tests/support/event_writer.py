"""A process that writes events through the JSONL mirror, for tests of concurrent writers.

Lives in ``support`` so that ``multiprocessing``'s spawn start method can import it by name.
"""

from __future__ import annotations

import logging
from pathlib import Path

from coderouter_supervisor.worker.telemetry import JsonLineFormatter
from coderouter_supervisor.worker.telemetry.event_file import EventFileHandler


def write_events(path: str, writer: int, lines: int, max_bytes: int) -> None:
    handler = EventFileHandler(Path(path), max_bytes=max_bytes)
    handler.setFormatter(JsonLineFormatter("worker"))
    logger = logging.getLogger(f"event-writer-{writer}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    for index in range(lines):
        logger.info("test-event", extra={"fields": {"writer": writer, "index": index, "pad": "x" * 200}})
    handler.close()
