"""Whether this worker can use the state file right now, and why not: for ``/healthz``, routing and
the event log.

Every part of the worker that touches the state file reports here. A failure is kept per operation
until that operation succeeds again; a failure of the whole file (disk full, read-only, I/O error)
is over as soon as any write succeeds, because every write needs the same file. The periodic file
check (:meth:`StateBackend.check_store`) reports under its own name and is only cleared by itself.
"""

from __future__ import annotations

from coderouter_supervisor.state import StateError, StateUnavailable
from coderouter_supervisor.worker.telemetry.events import emit_event


class StateStatus:
    """The worker's current problem with the state file (``problem``), each change logged once:
    ``state-unavailable`` naming the operation and the real cause, then ``state-recovered``."""

    def __init__(self) -> None:
        self._failures: dict[str, tuple[str, bool]] = {}  # operation -> (error, whole file)
        self._reported: str | None = None

    @property
    def problem(self) -> str | None:
        """``operation: cause`` of the oldest failure still standing, or None when all is well."""
        for operation, (error, _) in self._failures.items():
            return f"{operation}: {error}"
        return None

    def failed(self, operation: str, error: StateError) -> None:
        whole_file = isinstance(error, StateUnavailable) and error.whole_file
        self._failures[operation] = (str(error), whole_file)
        self._report(operation)

    def succeeded(self, operation: str, *, wrote: bool) -> None:
        """``operation`` worked; ``wrote`` says it committed a write, which clears whole-file failures."""
        self._failures.pop(operation, None)
        if wrote:
            for name in [name for name, (_, whole_file) in self._failures.items() if whole_file]:
                del self._failures[name]
        self._report(operation)

    def _report(self, operation: str) -> None:
        problem = self.problem
        if problem == self._reported:
            return
        if problem is None:
            emit_event("state-recovered", operation=operation, previous_error=self._reported)
        else:
            name, (error, _) = next(iter(self._failures.items()))
            emit_event("state-unavailable", "error", operation=name, error=error)
        self._reported = problem
