"""Metric series per worker, cumulative, so the instance's totals are sums over every worker that ran.

A worker writes its own rows (the values it has counted since it started) about once a second; rows of
exited workers stay, so totals survive restarts and crashes (a killed worker loses only what it had
not yet written). Labels are stored as JSON text of sorted ``[name, value]`` pairs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coderouter_supervisor.state.connection import write_transaction
from coderouter_supervisor.state.metric_history import Rollup, add_rollup
from coderouter_supervisor.state.series_labels import SeriesKey, decode_labels, encode_labels


@dataclass(frozen=True)
class RecentEvent:
    at: float
    pid: int
    event: str
    fields: dict[str, Any]


def write_metric_series(
    conn: sqlite3.Connection,
    worker_id: int,
    series: Mapping[SeriesKey, float],
    rollup: Rollup | None = None,
) -> None:
    """Store ``series`` as worker ``worker_id``'s current values and add ``rollup`` to the history,
    in one transaction."""

    def op(c: sqlite3.Connection) -> None:
        c.executemany(
            """
            INSERT INTO metric_series (worker_id, name, labels, value) VALUES (?, ?, ?, ?)
            ON CONFLICT (worker_id, name, labels) DO UPDATE SET value = excluded.value
            """,
            [(worker_id, name, encode_labels(labels), value) for (name, labels), value in series.items()],
        )
        if rollup is not None:
            add_rollup(c, rollup)

    write_transaction(conn, op)


# The dashboard's "recent events" list; older rows are dropped as new ones arrive.
RECENT_EVENTS_KEPT = 200


def append_recent_events(conn: sqlite3.Connection, events: Sequence[RecentEvent]) -> None:
    def op(c: sqlite3.Connection) -> None:
        c.executemany(
            "INSERT INTO recent_event (at, pid, event, fields) VALUES (?, ?, ?, ?)",
            [(e.at, e.pid, e.event, json.dumps(e.fields, default=str)) for e in events],
        )
        c.execute(
            "DELETE FROM recent_event WHERE id <= (SELECT MAX(id) FROM recent_event) - ?",
            (RECENT_EVENTS_KEPT,),
        )

    write_transaction(conn, op)


def recent_events(conn: sqlite3.Connection, limit: int = 50) -> list[RecentEvent]:
    """The newest ``limit`` events of every worker, newest first."""
    rows = conn.execute("SELECT at, pid, event, fields FROM recent_event ORDER BY id DESC LIMIT ?", (limit,))
    return [RecentEvent(float(at), int(pid), event, json.loads(fields)) for at, pid, event, fields in rows]


def metric_totals(conn: sqlite3.Connection) -> dict[SeriesKey, float]:
    """Every series summed over all workers."""
    rows = conn.execute("SELECT name, labels, SUM(value) FROM metric_series GROUP BY name, labels")
    return {(name, decode_labels(labels)): float(total) for name, labels, total in rows}
