"""What `pip install .` puts on a user's machine."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return zipfile.ZipFile(built)


def test_the_only_top_level_package_is_coderouter_supervisor(wheel: zipfile.ZipFile) -> None:
    tops = {
        name.split("/", 1)[0] for name in wheel.namelist() if not name.split("/", 1)[0].endswith(".dist-info")
    }
    assert tops == {"coderouter_supervisor"}
    top_level = [n for n in wheel.namelist() if n.endswith(".dist-info/top_level.txt")]
    if top_level:
        assert wheel.read(top_level[0]).decode().split() == ["coderouter_supervisor"]


def test_every_source_package_and_data_file_ships(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for layer in ("supervisor", "worker", "state"):
        for source in (ROOT / layer).rglob("*.py"):
            if "__pycache__" in source.parts:
                continue
            assert f"coderouter_supervisor/{source.relative_to(ROOT)}" in names, source
    assert "coderouter_supervisor/etc/gunicorn.conf.py" in names
    assert "coderouter_supervisor/etc/providers.yaml" in names
    assert "coderouter_supervisor/etc/coderouter-supervisor.service" in names
    assert "coderouter_supervisor/etc/coderouter-supervisor-single.service" in names
    assert "coderouter_supervisor/worker/routing/model-capabilities.yaml" in names
    assert "coderouter_supervisor/worker/ingress/dashboard.html" in names
    assert "coderouter_supervisor/worker/py.typed" in names


def test_no_module_ships_that_the_tree_lacks(wheel: zipfile.ZipFile) -> None:
    """setuptools reuses ``build/lib``: a module moved or deleted since the last build would ship."""
    shipped = [name for name in wheel.namelist() if name.startswith("coderouter_supervisor/")]
    stale = [name for name in shipped if not (ROOT / name).exists()]
    assert stale == [], f"{stale}: rm -rf build/ and build again"


def test_console_script_points_at_the_cli(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith("entry_points.txt")]
    assert (
        "coderouter-supervisor = coderouter_supervisor.supervisor.cli:main"
        in wheel.read(entry_points).decode()
    )
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert declared == ">=3.11"


@pytest.mark.parametrize("layer", ["etc", "state", "supervisor", "worker"])
def test_the_tree_imports_as_it_installs(layer: str) -> None:
    """The checkout's `coderouter_supervisor/` links each layer: mypy and editable installs read the tree."""
    linked = ROOT / "coderouter_supervisor" / layer
    assert linked.is_symlink(), linked
    assert linked.resolve() == (ROOT / layer).resolve()
