"""Errors raised by the state store; ``sqlite3`` and ``psycopg`` errors never leave this package.

StateError              base: anything the store could not do
├── StateUnavailable    the store cannot be used (file missing, read-only, corrupt, full; server down)
└── SchemaMismatch      the file's schema version is not the one this code speaks
"""

from __future__ import annotations


class StateError(Exception):
    """The shared state store could not do what was asked."""


class StateUnavailable(StateError):
    """The state file cannot be opened, read or written.

    ``whole_file`` says the fault is the file's (disk full, read-only, I/O error, cannot open), so
    every operation fails alike and one that succeeds again shows it gone; otherwise it may be one
    operation's own (a damaged table).
    """

    def __init__(self, message: str, *, whole_file: bool = False) -> None:
        super().__init__(message)
        self.whole_file = whole_file


class SchemaMismatch(StateError):
    """The state file's ``user_version`` differs from the schema this code expects."""

    def __init__(self, path: str, found: int, expected: int) -> None:
        self.path = path
        self.found = found
        self.expected = expected
        if found > expected:
            hint = "it was written by a newer coderouter-supervisor; upgrade this one"
        else:
            hint = "run `coderouter-supervisor start`, which migrates it before starting workers"
        super().__init__(f"{path}: state schema version {found}, expected {expected} ({hint})")
