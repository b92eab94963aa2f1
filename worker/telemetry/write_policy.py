"""How often the instance writes what is not spend: metric series, adaptive observations,
heartbeats, and the supervisor's WAL checkpoints.

``default`` keeps every worker's view of the others within a second or two. ``low_write`` is for
an SD card (a Raspberry Pi): a free provider's traffic then reaches the disk at most every 10 s,
and adaptive observations stay in this worker's memory (with one worker nobody else reads them).
Spend is never deferred: it is written before the response completes, whatever the profile.

A checkpoint copies each page changed since the last one into the database file once and syncs
twice, however often the page changed in between: checkpointing less often on an SD card writes
each hot page (metric series, ledger rows) once a minute instead of after every flush.
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
    checkpoint_interval_s: float  # the supervisor checkpoints a WAL that has frames this often
    checkpoint_retry_s: float  # ... and sooner after a checkpoint that readers kept from completing


_POLICIES: dict[WriteProfile, WritePolicy] = {
    "default": WritePolicy(
        1.0,
        1.0,
        share_observations=True,
        heartbeat_interval_s=HEARTBEAT_INTERVAL_S,
        checkpoint_interval_s=1.0,
        checkpoint_retry_s=1.0,
    ),
    "low_write": WritePolicy(
        10.0,
        10.0,
        share_observations=False,
        heartbeat_interval_s=10.0,
        checkpoint_interval_s=60.0,
        checkpoint_retry_s=10.0,
    ),
}


def write_policy(profile: WriteProfile) -> WritePolicy:
    return _POLICIES[profile]
