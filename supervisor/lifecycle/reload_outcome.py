"""What became of the last reload, written by the supervisor for `coderouter-supervisor reload` to read.

The supervisor answers SIGHUP only in its log; this file lets the command that sent the signal
say whether the config was applied, and why not.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from coderouter_supervisor.supervisor.lifecycle.instance import InstanceFiles, write_atomically

ReloadResult = Literal["accepted", "unchanged", "refused"]


@dataclass(frozen=True)
class ReloadOutcome:
    result: ReloadResult
    config: str
    reason: str = ""
    # Wall clock, so two outcomes of the same result never read alike.
    at: float = 0.0


def record_reload_outcome(files: InstanceFiles, result: ReloadResult, config: str, reason: str = "") -> None:
    """Best effort: a full or read-only state directory leaves the command to say it got no answer."""
    outcome = ReloadOutcome(result, config, reason, time.time())
    with contextlib.suppress(OSError):
        write_atomically(files.reload_outcome, json.dumps(asdict(outcome)))


def read_reload_outcome(path: Path) -> ReloadOutcome | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ReloadOutcome(raw["result"], raw["config"], raw["reason"], float(raw["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
