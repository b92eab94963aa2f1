"""Config file search order: flag, $CODEROUTER_CONFIG, ./, ~/.coderouter/, /etc/coderouter/, embedded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from coderouter_supervisor.worker.config import ConfigError, find_config_file


@dataclass(frozen=True)
class Places:
    cwd: Path
    home: Path
    system: Path

    def find(self, explicit: str | Path | None = None, env: dict[str, str] | None = None) -> Path | None:
        return find_config_file(explicit, env or {}, self.cwd, self.home, system_path=self.system)


@pytest.fixture
def places(tmp_path: Path) -> Places:
    for folder in ("cwd", "home/.coderouter", "etc/coderouter", "elsewhere"):
        (tmp_path / folder).mkdir(parents=True)
    return Places(
        cwd=tmp_path / "cwd", home=tmp_path / "home", system=tmp_path / "etc/coderouter/providers.yaml"
    )


def touch(path: Path) -> Path:
    path.write_text("# config\n", encoding="utf-8")
    return path


def test_nothing_found_means_embedded_default(places: Places) -> None:
    assert places.find() is None


def test_each_location_beats_the_ones_after_it(places: Places) -> None:
    system = touch(places.system)
    assert places.find() == system
    home = touch(places.home / ".coderouter" / "providers.yaml")
    assert places.find() == home
    local = touch(places.cwd / "providers.yaml")
    assert places.find() == local
    from_env = touch(places.cwd.parent / "elsewhere" / "env.yaml")
    assert places.find(env={"CODEROUTER_CONFIG": str(from_env)}) == from_env
    explicit = touch(places.cwd.parent / "elsewhere" / "flag.yaml")
    assert places.find(explicit, env={"CODEROUTER_CONFIG": str(from_env)}) == explicit


def test_relative_paths_are_relative_to_cwd(places: Places) -> None:
    target = touch(places.cwd / "mine.yaml")
    assert places.find("mine.yaml") == target
    assert places.find(env={"CODEROUTER_CONFIG": "mine.yaml"}) == target


def test_tilde_means_the_given_home(places: Places) -> None:
    target = touch(places.home / "cfg.yaml")
    assert places.find("~/cfg.yaml") == target
    assert places.find(env={"CODEROUTER_CONFIG": "~/cfg.yaml"}) == target


def test_empty_variable_counts_as_unset(places: Places) -> None:
    local = touch(places.cwd / "providers.yaml")
    assert places.find(env={"CODEROUTER_CONFIG": ""}) == local


def test_directory_named_providers_yaml_is_skipped(places: Places) -> None:
    (places.cwd / "providers.yaml").mkdir()
    assert places.find() is None


@pytest.mark.parametrize(
    ("explicit", "env", "named"),
    [
        pytest.param("missing.yaml", {}, "--config", id="flag"),
        pytest.param(None, {"CODEROUTER_CONFIG": "/nowhere/providers.yaml"}, "$CODEROUTER_CONFIG", id="env"),
    ],
)
def test_named_file_must_exist(places: Places, explicit: str | None, env: dict[str, str], named: str) -> None:
    touch(places.cwd / "providers.yaml")  # never silently used instead of the named file
    with pytest.raises(ConfigError) as caught:
        places.find(explicit, env)
    message = str(caught.value)
    assert named in message
    assert "not found" in message
    assert message.startswith(explicit or env["CODEROUTER_CONFIG"])


def test_named_directory_is_refused(places: Places) -> None:
    with pytest.raises(ConfigError, match=r"not a regular file \(named by --config\)"):
        places.find(places.home)
