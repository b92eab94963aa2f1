"""The state package's public surface: what it exports, and that nothing else reaches past it."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest

from coderouter_supervisor import state

REPOSITORY = Path(__file__).resolve().parents[2]


def test_public_api_is_pinned() -> None:
    public = {
        name
        for name, value in vars(state).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"
    }
    assert set(state.__all__) == public
    assert {"StateBackend", "StateAdmin", "open_state", "state_admin"} <= public
    # The SQLite modules' own helpers stay inside: callers reach SQLite only through the seam.
    assert not {"connect", "migrate_state_file", "read_ledger", "list_workers"} & public


def _imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), str(source))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", ["worker", "supervisor", "etc"])
def test_no_other_package_imports_a_state_module(package: str) -> None:
    reaching_in = {
        f"{source.relative_to(REPOSITORY)}: {module}"
        for source in sorted((REPOSITORY / package).rglob("*.py"))
        for module in _imported_modules(source)
        if module.startswith("coderouter_supervisor.state.")
        and module.removeprefix("coderouter_supervisor.state.") not in state.__all__
    }
    assert reaching_in == set()


def test_only_the_state_package_imports_sqlite3() -> None:
    importers = {
        str(source.relative_to(REPOSITORY))
        for package in ("worker", "supervisor", "etc")
        for source in (REPOSITORY / package).rglob("*.py")
        if "sqlite3" in _imported_modules(source)
    }
    assert importers == set()
