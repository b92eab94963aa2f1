"""The shared SQLite WAL store: connection, schema migrations and typed accessors.

This package is the only code that imports ``sqlite3``."""
