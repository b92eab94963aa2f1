"""Worker heartbeats, metric series and recent events on PostgreSQL: the rules of :mod:`.heartbeats`
and :mod:`.metric_series`, with each worker's box recorded so that every box lists every box's workers
and only a worker's own box looks at its pid."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from coderouter_supervisor.state.heartbeats import (
    _EXITED_RETENTION_S,
    _MISSED_BEATS_DEAD,
    WorkerHeartbeat,
)
from coderouter_supervisor.state.metric_history import (
    RESOLUTION_S,
    HistoryPoint,
    Resolution,
    Rollup,
    expired_before,
    history_point,
    rollup_rows,
)
from coderouter_supervisor.state.metric_series import RECENT_EVENTS_KEPT, RecentEvent
from coderouter_supervisor.state.series_labels import SeriesKey, decode_labels, encode_labels

if TYPE_CHECKING:
    from coderouter_supervisor.state.postgres_connection import Connection

# The ids of workers beating as of ``%(now)s``.
LIVE_WORKER_IDS = (
    "SELECT id FROM worker_heartbeat WHERE exited_at IS NULL AND last_seen + dead_after_s >= %(now)s"
)


def register_worker(conn: Connection, pid: int, box: str, now: float, beat_interval_s: float) -> int:
    conn.execute(
        "DELETE FROM worker_heartbeat WHERE exited_at IS NOT NULL AND exited_at < %s",
        (now - _EXITED_RETENTION_S,),
    )
    row = conn.execute(
        "INSERT INTO worker_heartbeat (pid, box, started_at, last_seen, requests, dead_after_s)"
        " VALUES (%s, %s, %s, %s, 0, %s) RETURNING id",
        (pid, box, now, now, beat_interval_s * _MISSED_BEATS_DEAD),
    ).fetchone()
    assert row is not None
    return int(row[0])


def record_heartbeat(conn: Connection, worker_id: int, now: float, requests: int) -> int:
    conn.execute(
        "UPDATE worker_heartbeat SET last_seen = %s, requests = %s WHERE id = %s", (now, requests, worker_id)
    )
    # This box's: /healthz and `start` speak for the box that answers them.
    row = conn.execute(
        f"SELECT count(*) FROM worker_heartbeat WHERE id IN ({LIVE_WORKER_IDS})"  # noqa: S608
        " AND box = (SELECT box FROM worker_heartbeat WHERE id = %(worker)s)",
        {"now": now, "worker": worker_id},
    ).fetchone()
    return int(row[0]) if row else 0


def mark_worker_exited(conn: Connection, worker_id: int, now: float, requests: int) -> None:
    conn.execute(
        "UPDATE worker_heartbeat SET last_seen = %s, requests = %s, exited_at = %s WHERE id = %s",
        (now, requests, now, worker_id),
    )


def mark_pid_exited(conn: Connection, pid: int, box: str, now: float) -> None:
    """Mark the live row of ``pid`` on ``box`` exited (another box's worker may have the same pid)."""
    conn.execute(
        "UPDATE worker_heartbeat SET exited_at = %s WHERE pid = %s AND box = %s AND exited_at IS NULL",
        (now, pid, box),
    )


def mark_gone_workers(
    conn: Connection, box: str, now: float, exists: Callable[[int], bool]
) -> list[WorkerHeartbeat]:
    """Mark exited every worker of ``box`` not marked so whose process no longer exists; return them.
    Workers of other boxes are theirs to mark (or reclaimed by their stale heartbeats)."""
    rows = conn.execute(
        "SELECT id, pid FROM worker_heartbeat WHERE box = %s AND exited_at IS NULL ORDER BY id FOR UPDATE",
        (box,),
    ).fetchall()
    gone_ids = [int(worker_id) for worker_id, pid in rows if not exists(int(pid))]
    gone = [w for w in list_workers(conn, now, include_exited=True) if w.worker_id in gone_ids]
    if gone_ids:
        conn.execute("UPDATE worker_heartbeat SET exited_at = %s WHERE id = ANY(%s)", (now, gone_ids))
    return gone


def list_workers(conn: Connection, now: float, *, include_exited: bool = False) -> list[WorkerHeartbeat]:
    rows = conn.execute(
        "SELECT id, pid, started_at, last_seen, requests, exited_at, dead_after_s, box"
        " FROM worker_heartbeat ORDER BY id"
    ).fetchall()
    workers = [
        WorkerHeartbeat(
            int(i),
            int(pid),
            float(started),
            float(seen),
            int(n),
            None if ex is None else float(ex),
            float(dead),
            str(box),
        )
        for i, pid, started, seen, n, ex, dead, box in rows
    ]
    return [w for w in workers if include_exited or w.alive(now)]


def write_metric_series(
    conn: Connection, worker_id: int, series: Mapping[SeriesKey, float], rollup: Rollup | None = None
) -> None:
    """As :func:`.metric_series.write_metric_series`: the series and the rollup in one transaction."""
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO metric_series (worker_id, name, labels, value) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (worker_id, name, labels) DO UPDATE SET value = excluded.value",
            [
                (worker_id, name, encode_labels(labels), value)
                for (name, labels), value in sorted(series.items())
            ],
        )
        if rollup is not None:
            cursor.executemany(
                "INSERT INTO metric_rollup (resolution, start, name, labels, value)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (resolution, start, name, labels)"
                " DO UPDATE SET value = metric_rollup.value + excluded.value",
                rollup_rows(rollup),
            )
            cursor.executemany(
                "DELETE FROM metric_rollup WHERE resolution = %s AND start < %s", expired_before(rollup)
            )


def read_history(conn: Connection, resolution: Resolution, since: float) -> list[HistoryPoint]:
    rows = conn.execute(
        "SELECT start, name, labels, value FROM metric_rollup"
        " WHERE resolution = %s AND start >= %s ORDER BY start, name, labels",
        (RESOLUTION_S[resolution], since),
    ).fetchall()
    return [history_point(*row) for row in rows]


def metric_totals(conn: Connection) -> dict[SeriesKey, float]:
    rows = conn.execute("SELECT name, labels, SUM(value) FROM metric_series GROUP BY name, labels").fetchall()
    return {(str(name), decode_labels(labels)): float(total) for name, labels, total in rows}


def append_recent_events(conn: Connection, events: Sequence[RecentEvent]) -> None:
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO recent_event (at, pid, event, fields) VALUES (%s, %s, %s, %s)",
            [(e.at, e.pid, e.event, json.dumps(e.fields, default=str)) for e in events],
        )
    conn.execute(
        "DELETE FROM recent_event WHERE id <= (SELECT MAX(id) FROM recent_event) - %s", (RECENT_EVENTS_KEPT,)
    )


def recent_events(conn: Connection, limit: int = 50) -> list[RecentEvent]:
    rows = conn.execute(
        "SELECT at, pid, event, fields FROM recent_event ORDER BY id DESC LIMIT %s", (limit,)
    ).fetchall()
    return [
        RecentEvent(float(at), int(pid), str(event), json.loads(fields)) for at, pid, event, fields in rows
    ]
