"""How often a worker writes what is not spend: metric series, adaptive observations, heartbeats.

``default`` keeps every worker's view of the others within a second or two. ``low_write`` is for
an SD card (a Raspberry Pi): a free provider's traffic then reaches the disk at most every 10 s,
and adaptive observations stay in this worker's memory (with one worker nobody else reads them).
Spend is never deferred: it is written before the response completes, whatever the profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coderouter_supervisor.state import HEARTBEAT_INTERVAL_S

WriteProfile = Literal["default", "low_write"]


@dataclass(frozen=True)
class WritePolicy:
    metrics_flush_s: float
    observations_flush_s: float | None  # None: kept in memory, never written
    heartbeat_interval_s: float


_POLICIES: dict[WriteProfile, WritePolicy] = {
    "default": WritePolicy(
        metrics_flush_s=1.0, observations_flush_s=1.0, heartbeat_interval_s=HEARTBEAT_INTERVAL_S
    ),
    "low_write": WritePolicy(metrics_flush_s=10.0, observations_flush_s=None, heartbeat_interval_s=10.0),
}


def write_policy(profile: WriteProfile) -> WritePolicy:
    return _POLICIES[profile]
