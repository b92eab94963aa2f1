"""The interface between a stream relay and the translator of one (client protocol, upstream kind) pair.

Each :meth:`ClientStream.feed` returns the frames for one upstream event (possibly none) and raises
the upstream's error when the event reports one; :meth:`ClientStream.finish` closes the stream
properly, or with an error frame when the upstream ended without its terminator (a cut connection
must never look like a finished answer). The translators live in :mod:`..adapters`.
"""

from __future__ import annotations

from typing import Protocol

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.providers.transport import UpstreamEvent
from coderouter_supervisor.worker.translate import UsageReport


class ClientStream(Protocol):
    ping_frame: bytes

    @property
    def started(self) -> bool:
        """Whether frames other than pings went to the client (failover is then impossible)."""

    @property
    def report(self) -> UsageReport:
        """What the upstream has reported about usage so far."""

    def feed(self, event: UpstreamEvent) -> bytes: ...

    def finish(self, upstream_completed: bool) -> bytes: ...

    def fail(self, error: GatewayError) -> bytes: ...
