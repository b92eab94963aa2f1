"""Choose the chain: profile selection, auto router, gates and ordering (pure)."""

from __future__ import annotations

from coderouter_supervisor.worker.routing.chain import Skip, resolve_chain
from coderouter_supervisor.worker.routing.profiles import MODE_HEADER, PROFILE_HEADER, select_profile

__all__ = ["MODE_HEADER", "PROFILE_HEADER", "Skip", "resolve_chain", "select_profile"]
