"""Metric history: rollups of the metric series per minute (kept 48 h) and per hour (kept 13 months).

A worker's metric flush hands in how much each rolled-up series grew since its previous flush, with
the flush's time; the growth is added to that minute's and that hour's rows inside the same
transaction that stores the cumulative series, so history costs no write of its own, and rows are
sums over every worker that wrote. The same transaction deletes rows past their retention.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from coderouter_supervisor.state.series_labels import Labels, SeriesKey, decode_labels, encode_labels

Resolution = Literal["minute", "hour"]
RESOLUTION_S: dict[Resolution, int] = {"minute": 60, "hour": 3600}
# 48 hours of minutes; 13 months (of at most 31 days) of hours.
RETENTION_S: dict[Resolution, int] = {"minute": 48 * 3600, "hour": 13 * 31 * 86400}


@dataclass(frozen=True)
class Rollup:
    """How much each series grew (``deltas``) in a flush at wall-clock time ``at``."""

    at: float
    deltas: Mapping[SeriesKey, float]


@dataclass(frozen=True)
class HistoryPoint:
    """Series ``name``/``labels`` grew by ``value`` in the bucket that starts at ``start`` (UTC s)."""

    start: int
    name: str
    labels: Labels
    value: float


def bucket_start(at: float, resolution: Resolution) -> int:
    width = RESOLUTION_S[resolution]
    return int(at // width) * width


RollupRow = tuple[int, int, str, str, float]  # resolution (s), bucket start, name, labels, growth


def rollup_rows(rollup: Rollup) -> list[RollupRow]:
    """The rows ``rollup`` adds to, minutes then hours, each in key order: writers that lock rows one
    by one (a server database) then cannot deadlock on each other's rows."""
    return [
        (width, bucket_start(rollup.at, resolution), name, encode_labels(labels), value)
        for resolution, width in RESOLUTION_S.items()
        for (name, labels), value in sorted(rollup.deltas.items())
        if value
    ]


def expired_before(rollup: Rollup) -> list[tuple[int, float]]:
    """Per resolution (s): rows whose bucket starts before this time are past their retention."""
    return [(width, rollup.at - RETENTION_S[resolution]) for resolution, width in RESOLUTION_S.items()]


def history_point(start: int, name: str, labels: str, value: float) -> HistoryPoint:
    return HistoryPoint(int(start), name, decode_labels(labels), float(value))


def add_rollup(conn: sqlite3.Connection, rollup: Rollup) -> None:
    """Inside the caller's write transaction: add ``rollup`` to its minute and hour, prune old rows."""
    conn.executemany(
        """
        INSERT INTO metric_rollup (resolution, start, name, labels, value) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (resolution, start, name, labels)
        DO UPDATE SET value = metric_rollup.value + excluded.value
        """,
        rollup_rows(rollup),
    )
    conn.executemany("DELETE FROM metric_rollup WHERE resolution = ? AND start < ?", expired_before(rollup))


def read_history(conn: sqlite3.Connection, resolution: Resolution, since: float) -> list[HistoryPoint]:
    """Every row of ``resolution`` whose bucket starts at or after ``since``, oldest first."""
    rows = conn.execute(
        """
        SELECT start, name, labels, value FROM metric_rollup
        WHERE resolution = ? AND start >= ? ORDER BY start, name, labels
        """,
        (RESOLUTION_S[resolution], since),
    )
    return [history_point(*row) for row in rows]
