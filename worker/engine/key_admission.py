"""A client key's own limits: requests in flight at once and requests per minute, across workers.

Each API request of a key with a limit is admitted once, in one short state transaction, after the
request is known to be routable and before its budget is held (:func:`admit_key_request`); a key
without limits costs nothing here. An admitted request's slot is given back by :meth:`KeySlot.release`,
which the request's ``AttemptRecorder`` calls from ``close``: the one place where every answer
ends, whether a reply was sent, a stream finished or was cut, or the client left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from coderouter_supervisor.state import ClientKey, Refused, StateBackend, StateError, StateUnavailable
from coderouter_supervisor.worker.errors import GatewayError, KeyRateLimited
from coderouter_supervisor.worker.telemetry import emit_event

# A slot outlives any request (agent streams can run for many minutes); a worker that dies holding
# one is noticed sooner, through its heartbeat.
SLOT_HOLD_S = 3600.0


def refusal_message(key_name: str, refused: Refused) -> str:
    """What the client is told: which limit of which key (by name, never the key) and its value."""
    if refused.limit == "max_concurrent":
        return (
            f"client key {key_name!r} is at its limit of {refused.value} concurrent requests; "
            "retry when one of them has finished"
        )
    return (
        f"client key {key_name!r} is at its limit of {refused.value} requests per minute; "
        f"retry in {refused.retry_after_s:.0f} s"
    )


@dataclass
class KeySlot:
    """One admitted request's place among its key's ``max_concurrent``."""

    store: StateBackend
    admission_id: int
    key_name: str
    released: bool = False

    async def release(self) -> None:
        """Give the slot back. Idempotent. If the state file cannot be written the slot stays taken
        until its hold expires or this worker stops, and an event says so."""
        if self.released:
            return
        self.released = True
        try:
            await self.store.release_request(self.admission_id, time.time())
        except StateError as exc:
            emit_event("key-slot-not-released", "error", key=self.key_name, error=str(exc))


async def admit_key_request(
    store: StateBackend, worker_id: int | None, key: ClientKey | None, *, now: float
) -> KeySlot | None:
    """Admit a request of ``key`` under its limits, on behalf of worker ``worker_id`` (None while
    it is not registered); the slot to release when it held one.

    Raises :class:`KeyRateLimited` (429) when a limit is reached, and :class:`GatewayError` when the
    limits cannot be checked (fail closed, like a budget: a limit that cannot be checked is not lifted).
    """
    if key is None or not key.rate_limited:
        return None
    try:
        if worker_id is None:
            raise StateUnavailable("this worker has not registered its heartbeat yet")
        decision = await store.admit_request(
            key_name=key.name,
            max_concurrent=key.max_concurrent,
            requests_per_minute=key.requests_per_minute,
            worker_id=worker_id,
            now=now,
            hold_s=SLOT_HOLD_S,
        )
    except StateError as exc:
        emit_event("key-limits-unavailable", "error", key=key.name, error=str(exc))
        raise GatewayError(
            f"the gateway cannot check the limits of client key {key.name!r} right now"
        ) from exc
    if isinstance(decision, Refused):
        emit_event(
            "key-rate-limited",
            "warning",
            key=key.name,
            limit=decision.limit,
            value=decision.value,
            retry_after_s=decision.retry_after_s,
        )
        raise KeyRateLimited(
            refusal_message(key.name, decision),
            limit=decision.limit,
            value=decision.value,
            retry_after=decision.retry_after_s,
        )
    return KeySlot(store, decision.admission_id, key.name) if decision.held else None
