"""How the tree's packages may import each other, read from every source file's imports.

A *package* is a folder with an ``__init__.py``. Its ``__init__`` is its public surface; its other
modules are private to it. The rules:

* a module imports its own package's modules freely;
* another package's modules are reached only through that package's ``__init__``;
* a loose module at the top of a folder that also holds packages (``worker/errors.py``,
  ``worker/money.py``, ``supervisor/cli_support.py``) is a unit of its own: its public names
  are imported from it directly, as one-module packages would be;
* no cycle between folders, where each package is one node and each loose module is its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = "coderouter_supervisor"
REPOSITORY = Path(__file__).resolve().parents[2]
TREES = ("worker", "state", "supervisor", "etc")

# Private-module imports that stay, each with the reason it is not routed through a surface.
ALLOWED_PRIVATE: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPOSITORY).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([ROOT, *parts])


SOURCES = {module_name(path): path for tree in TREES for path in sorted((REPOSITORY / tree).rglob("*.py"))}
PACKAGES = {name for name, path in SOURCES.items() if path.name == "__init__.py"}


def unit_of(module: str) -> str:
    """The package a module belongs to, or the module itself when it is a loose top-level module."""
    if module in PACKAGES:
        return module
    package = module.rsplit(".", 1)[0]
    has_subpackages = any(other.startswith(f"{package}.") for other in PACKAGES if other != package)
    return module if has_subpackages else package


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the module named (``a.b.c`` for ``from a.b import c`` when ``c`` is a module)

    @property
    def reaches_in(self) -> bool:
        """True when the target is another unit's private module."""
        return self.target != unit_of(self.target) and unit_of(self.importer) != unit_of(self.target)


def _bound_names(package: str) -> set[str]:
    """Names a package's ``__init__`` binds: ``from pkg import x`` means this name, not a module x.
    A submodule the ``__init__`` hands out as a name (``from pkg import module``) is not among them:
    exporting a private module does not make it public."""
    tree = ast.parse(SOURCES[package].read_text(encoding="utf-8"))
    bound = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != package
        for alias in node.names
    }
    return bound | {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}


BOUND = {package: _bound_names(package) for package in PACKAGES}


def _resolve(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if importer in PACKAGES else importer.rsplit(".", 1)[0]
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports() -> Iterator[Import]:
    for importer, path in SOURCES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                named = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = _resolve(importer, node)
                named = [
                    f"{module}.{alias.name}"
                    if f"{module}.{alias.name}" in SOURCES and alias.name not in BOUND.get(module, set())
                    else module
                    for alias in node.names
                ]
            else:
                continue
            for target in named:
                if target in SOURCES:
                    yield Import(importer, target)


def short(name: str) -> str:
    return name.removeprefix(f"{ROOT}.")


def test_no_package_imports_another_packages_private_module() -> None:
    reaching_in = sorted(
        {
            f"{short(found.importer)} -> {short(found.target)}"
            for found in imports()
            if found.reaches_in and (short(found.importer), short(found.target)) not in ALLOWED_PRIVATE
        }
    )
    assert reaching_in == []


def test_every_allowed_exception_is_still_needed() -> None:
    seen = {(short(found.importer), short(found.target)) for found in imports() if found.reaches_in}
    assert set(ALLOWED_PRIVATE) <= seen


def _folder_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {unit_of(name): set() for name in SOURCES}
    for found in imports():
        source, target = unit_of(found.importer), unit_of(found.target)
        if source != target:
            graph[source].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle in the graph as the list of its nodes (first repeated last), or [] when acyclic."""
    finished: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in finished:
            return []
        path.append(node)
        for following in sorted(graph[node]):
            if cycle := visit(following):
                return cycle
        path.pop()
        finished.add(node)
        return []

    for start in sorted(graph):
        if cycle := visit(start):
            return cycle
    return []


def test_the_cycle_finder_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_folders() -> None:
    assert " -> ".join(short(node) for node in find_cycle(_folder_graph())) == ""
