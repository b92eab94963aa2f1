"""One ``request-completed`` event per model call a client made: ingress, profile, status, duration,
and the provider that answered, its latency and the request's cost when priced (what the engine's
recorder put in :class:`RequestAnswer`).

These are client requests, not provider attempts (one request may try several providers), and the
duration runs until the last byte of the answer, streams included. The front door
(:mod:`.front_door`) keeps a :class:`RequestSummary` per model call and emits it when the call ends.
"""

from __future__ import annotations

from collections.abc import Iterable

from coderouter_supervisor.worker.telemetry import RequestAnswer, current_client_key, emit_event

# No answer started at all means the client went away first (nginx's 499), not a failure of ours.
CLIENT_LEFT = 499


class RequestSummary:
    """What one model call's ``request-completed`` event reports, gathered while it is served;
    ``answer`` is the :class:`RequestAnswer` the engine fills in. ``started`` is monotonic time."""

    def __init__(self, ingress: str, *, started: float) -> None:
        self.ingress = ingress
        self.started = started
        self.answer = RequestAnswer()
        self.status = CLIENT_LEFT
        self.profile: str | None = None

    def answer_started(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """Note the status and the profile (``x-coderouter-profile``) of the answer's start."""
        self.status = status
        for name, value in headers:
            if name == b"x-coderouter-profile":
                self.profile = value.decode("latin-1")

    def emit(self, *, ended: float) -> None:
        """Log the ``request-completed`` event of a call that ended at monotonic time ``ended``."""
        emit_event(
            "request-completed",
            ingress=self.ingress,
            profile=self.profile,
            status=self.status,
            duration_ms=round((ended - self.started) * 1000, 1),
            key=current_client_key.get(),
            provider=self.answer.provider,
            latency_ms=self.answer.latency_ms,
            cost_usd=None if self.answer.cost_usd is None else round(self.answer.cost_usd, 6),
        )
