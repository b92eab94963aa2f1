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
    facts_flush_s: float  # a client key's free usage, and the observations when shared
    share_observations: bool  # False: kept in this worker's memory, never written
    heartbeat_interval_s: float


_POLICIES: dict[WriteProfile, WritePolicy] = {
    "default": WritePolicy(1.0, 1.0, share_observations=True, heartbeat_interval_s=HEARTBEAT_INTERVAL_S),
    "low_write": WritePolicy(10.0, 10.0, share_observations=False, heartbeat_interval_s=10.0),
}


def write_policy(profile: WriteProfile) -> WritePolicy:
    return _POLICIES[profile]
