"""A PostgreSQL URL as the state location: kept as written, shown without its password, handed to
workers whole, and each instance of it on one machine given a directory of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderouter_supervisor.state import shown_location, state_file, with_password
from coderouter_supervisor.supervisor.lifecycle.instance import InstanceFiles
from coderouter_supervisor.supervisor.lifecycle.settings import (
    SettingError,
    SupervisorFlags,
    resolve_settings,
)
from coderouter_supervisor.worker.config.supervisor_section import SupervisorSection
from coderouter_supervisor.worker.handoff import WorkerHandoff

HOME = Path("/home/dev")
URL = "postgresql://gw:s3cret@db.lan:5432/coderouter?sslmode=verify-full"
SHOWN = "postgresql://gw@db.lan:5432/coderouter?sslmode=verify-full"


@pytest.mark.parametrize(
    ("flags", "section", "env"),
    [
        pytest.param(SupervisorFlags(state=URL), SupervisorSection(), {}, id="flag"),
        pytest.param(SupervisorFlags(), SupervisorSection(), {"CODEROUTER_STATE_DB": URL}, id="env"),
        pytest.param(SupervisorFlags(), SupervisorSection(state=URL), {}, id="yaml"),
    ],
)
def test_a_url_from_any_source_is_kept_as_written(
    flags: SupervisorFlags, section: SupervisorSection, env: dict[str, str]
) -> None:
    settings = resolve_settings(flags, section, env, HOME, cpu_count=2, memory_bytes=8 << 30)
    assert settings.state_db == URL
    assert settings.state_shown == SHOWN
    assert settings.runtime_dir.is_relative_to(HOME / ".local/state/coderouter/instances")


def test_instances_of_one_server_differ_by_port_and_files_stay_in_their_directory() -> None:
    first, second = (
        resolve_settings(SupervisorFlags(state=URL, port=port), SupervisorSection(), {}, HOME, cpu_count=1)
        for port in (8088, 9088)
    )
    assert first.runtime_dir != second.runtime_dir
    assert first.runtime_dir.parent == second.runtime_dir.parent
    files = InstanceFiles.of(first)
    assert {files.pid_file.parent, files.config_snapshot.parent, files.reload_outcome.parent} == {
        first.runtime_dir
    }
    assert "s3cret" not in str(files.directory)


def test_a_state_file_keeps_its_files_beside_it() -> None:
    settings = resolve_settings(
        SupervisorFlags(state="~/s/gw.db"), SupervisorSection(), {}, HOME, cpu_count=1
    )
    assert settings.state_db == HOME / "s/gw.db"
    assert InstanceFiles.of(settings).pid_file == HOME / "s/gw.supervisor.pid"


@pytest.mark.parametrize(
    ("location", "shown", "file"),
    [
        pytest.param(URL, SHOWN, None, id="url-password"),
        pytest.param("postgres://gw@h/db?password=s3cret", "postgres://gw@h/db", None, id="query-password"),
        pytest.param("/var/lib/gw/state.db", "/var/lib/gw/state.db", Path("/var/lib/gw/state.db"), id="file"),
    ],
)
def test_shown_location_and_state_file(location: str, shown: str, file: Path | None) -> None:
    assert shown_location(location) == shown
    assert state_file(location) == file


def test_the_handoff_carries_a_url_whole_through_the_environment() -> None:
    handoff = WorkerHandoff(Path("/run/snap.yaml"), "providers.yaml", URL)
    back = WorkerHandoff.from_env(handoff.to_env())
    assert back.state_db == URL
    file = WorkerHandoff.from_env(WorkerHandoff(Path("/s.yaml"), "p", Path("/x/state.db")).to_env())
    assert file.state_db == Path("/x/state.db")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        pytest.param("postgresql://gw@db/cr", "postgresql://gw@db/cr?password=p%26w", id="added"),
        pytest.param(
            "postgresql://gw@db/cr?sslmode=require",
            "postgresql://gw@db/cr?sslmode=require&password=p%26w",
            id="beside-options",
        ),
        pytest.param("postgresql://gw:own@db/cr", "postgresql://gw:own@db/cr", id="url-has-one"),
        pytest.param(
            "postgresql://gw@db/cr?password=own", "postgresql://gw@db/cr?password=own", id="query-has-one"
        ),
        pytest.param(Path("/s/state.db"), Path("/s/state.db"), id="file"),
    ],
)
def test_with_password(location: str | Path, expected: str | Path) -> None:
    assert with_password(location, "p&w") == expected


def test_state_password_env_puts_the_password_in_the_url_and_nowhere_shown() -> None:
    section = SupervisorSection(state="postgresql://gw@db/cr", state_password_env="GW_DB_PASSWORD")
    settings = resolve_settings(SupervisorFlags(), section, {"GW_DB_PASSWORD": "s3cret"}, HOME, cpu_count=1)
    assert settings.state_db == "postgresql://gw@db/cr?password=s3cret"
    assert settings.state_shown == "postgresql://gw@db/cr"
    without = resolve_settings(SupervisorFlags(), SupervisorSection(state="postgresql://gw@db/cr"), {}, HOME)
    assert settings.runtime_dir.parent == without.runtime_dir.parent
    with pytest.raises(SettingError, match="GW_DB_PASSWORD"):
        resolve_settings(SupervisorFlags(), section, {}, HOME, cpu_count=1)


def test_a_url_of_no_backend_is_a_setting_error_naming_only_its_scheme() -> None:
    with pytest.raises(SettingError, match="mysql://") as refused:
        resolve_settings(SupervisorFlags(state="mysql://gw:s3cret@db/cr"), SupervisorSection(), {}, HOME)
    assert "s3cret" not in str(refused.value)
