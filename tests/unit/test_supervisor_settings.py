"""Pure pieces of the supervisor: settings precedence, bind strings, preflight rules, instance files."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Literal

import pytest

from coderouter_supervisor.supervisor.lifecycle.instance import (
    InstanceFiles,
    remove_pid_file,
    running_supervisor_pid,
    write_atomically,
    write_pid_file,
)
from coderouter_supervisor.supervisor.lifecycle.preflight import (
    auth_refusal,
    bind_refusal,
    port_problem,
    sqlite_has_wal_reset_bug,
)
from coderouter_supervisor.supervisor.lifecycle.settings import (
    DEFAULT_GRACEFUL_TIMEOUT_S,
    SettingError,
    SupervisorFlags,
    SupervisorSettings,
    default_workers,
    on_raspberry_pi,
    resolve_settings,
)
from coderouter_supervisor.worker.config.supervisor_section import SupervisorSection

HOME = Path("/home/dev")
GIB = 1024**3


def test_defaults_bind_loopback_8088_under_xdg_state() -> None:
    settings = resolve_settings(
        SupervisorFlags(), SupervisorSection(), {}, HOME, cpu_count=2, memory_bytes=8 * GIB
    )
    assert settings == SupervisorSettings(
        host="127.0.0.1",
        port=8088,
        workers=2,
        state_db=HOME / ".local/state/coderouter/state.db",
        runtime_dir=HOME / ".local/state/coderouter",
        graceful_timeout_s=DEFAULT_GRACEFUL_TIMEOUT_S,
        admin_port=8089,
    )
    assert settings.bind == "127.0.0.1:8088"


@pytest.mark.parametrize(
    ("flags", "section", "env", "expected"),
    [
        pytest.param(SupervisorFlags(port=9000), SupervisorSection(), {}, 9001, id="port-plus-one"),
        pytest.param(SupervisorFlags(), SupervisorSection(admin_port=7000), {}, 7000, id="yaml"),
        pytest.param(
            SupervisorFlags(),
            SupervisorSection(admin_port=7000),
            {"CODEROUTER_ADMIN_PORT": "7100"},
            7100,
            id="env",
        ),
        pytest.param(
            SupervisorFlags(admin_port=0), SupervisorSection(admin_port=7000), {}, 0, id="flag-turns-it-off"
        ),
        pytest.param(SupervisorFlags(port=65535), SupervisorSection(), {}, 0, id="no-room-above"),
    ],
)
def test_admin_port(
    flags: SupervisorFlags, section: SupervisorSection, env: dict[str, str], expected: int
) -> None:
    assert resolve_settings(flags, section, env, HOME).admin_port == expected


def test_flag_beats_env_beats_yaml() -> None:
    section = SupervisorSection(
        host="10.0.0.5", port=9000, workers=3, state="~/yaml.db", graceful_timeout_s=30
    )
    env = {"CODEROUTER_PORT": "9100", "CODEROUTER_WORKERS": "2", "CODEROUTER_STATE_DB": "/env/state.db"}
    only_yaml = resolve_settings(SupervisorFlags(), section, {}, HOME)
    assert (only_yaml.host, only_yaml.port, only_yaml.workers) == ("10.0.0.5", 9000, 3)
    assert only_yaml.state_db == HOME / "yaml.db"
    assert only_yaml.graceful_timeout_s == 30
    with_env = resolve_settings(SupervisorFlags(), section, env, HOME)
    assert (with_env.port, with_env.workers, with_env.state_db) == (9100, 2, Path("/env/state.db"))
    with_flags = resolve_settings(SupervisorFlags(port=9200, workers=1, state="/flag.db"), section, env, HOME)
    assert (with_flags.port, with_flags.workers, with_flags.state_db) == (9200, 1, Path("/flag.db"))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"CODEROUTER_PORT": "http"}, "CODEROUTER_PORT='http'", id="port-word"),
        pytest.param({"CODEROUTER_PORT": "70000"}, "from 1 to 65535", id="port-range"),
        pytest.param({"CODEROUTER_WORKERS": "0"}, "CODEROUTER_WORKERS", id="workers-zero"),
    ],
)
def test_bad_environment_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError, match=message):
        resolve_settings(SupervisorFlags(), SupervisorSection(), env, HOME)


@pytest.mark.parametrize(
    ("cpus", "memory", "expected"),
    [
        pytest.param(None, None, 1, id="unknown"),
        pytest.param(1, 8 * GIB, 1, id="one"),
        pytest.param(16, 8 * GIB, 4, id="capped"),
        pytest.param(4, None, 4, id="memory-unknown"),
        pytest.param(4, 2 * GIB, 1, id="pi-2gb"),
        pytest.param(4, 1 * GIB, 1, id="pi-1gb"),
        pytest.param(4, 2 * GIB + 1, 4, id="just-over"),
    ],
)
def test_default_workers(cpus: int | None, memory: int | None, expected: int) -> None:
    assert default_workers(cpus, memory) == expected


def test_a_small_machine_defaults_to_one_worker_but_flags_still_win() -> None:
    small = {"cpu_count": 4, "memory_bytes": GIB}
    assert resolve_settings(SupervisorFlags(), SupervisorSection(), {}, HOME, **small).workers == 1
    assert resolve_settings(SupervisorFlags(workers=3), SupervisorSection(), {}, HOME, **small).workers == 3


def test_ipv6_bind_is_bracketed() -> None:
    settings = resolve_settings(SupervisorFlags(host="::1"), SupervisorSection(), {}, HOME)
    assert settings.bind == "[::1]:8088"


@pytest.mark.parametrize(
    ("version", "affected"),
    [
        pytest.param("3.40.1", True, id="bookworm"),
        pytest.param("3.44.5", True, id="before-backport"),
        pytest.param("3.44.6", False, id="backport-3.44"),
        pytest.param("3.50.7", False, id="backport-3.50"),
        pytest.param("3.51.2", True, id="last-affected"),
        pytest.param("3.51.3", False, id="fixed"),
        pytest.param("3.53.1", False, id="newer"),
    ],
)
def test_wal_reset_bug_versions(version: str, affected: bool) -> None:
    assert sqlite_has_wal_reset_bug(version) is affected


def test_port_problem_names_a_taken_port() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        problem = port_problem("127.0.0.1", port)
    assert problem is not None
    assert "already in use" in problem.reason
    assert port_problem("127.0.0.1", port) is None
    unbound = port_problem("192.0.2.1", port)
    assert unbound is not None
    assert "not an address of this machine" in unbound.reason


@pytest.mark.parametrize(
    ("error", "lasting"),
    [
        pytest.param(errno.EADDRINUSE, False, id="taken-may-be-freed"),
        pytest.param(errno.EADDRNOTAVAIL, False, id="address-may-come-up"),
        pytest.param(errno.EACCES, True, id="privileged-port-stays-privileged"),
        pytest.param(errno.EINVAL, False, id="other"),
    ],
)
def test_a_bind_refusal_says_whether_a_restart_can_lift_it(error: int, lasting: bool) -> None:
    assert bind_refusal("127.0.0.1", 80, OSError(error, os.strerror(error))).lasting is lasting


def test_an_auth_refusal_lasts_but_an_unreadable_key_list_may_pass(tmp_path: Path) -> None:
    flags = SupervisorFlags(host="0.0.0.0", state=str(tmp_path / "state.db"))
    public = resolve_settings(flags, SupervisorSection(), {}, tmp_path)
    refusal = auth_refusal(public, SupervisorSection(), waived=False)
    assert refusal is not None and refusal.lasting
    (tmp_path / "state.db").mkdir()  # unreadable as a database: perhaps a moment's fault
    unreadable = auth_refusal(public, SupervisorSection(), waived=False)
    assert unreadable is not None and not unreadable.lasting
    assert "cannot check client keys" in unreadable.reason


def test_pid_file_round_trip_and_stale_pid(tmp_path: Path) -> None:
    files = InstanceFiles(tmp_path / "state.db", tmp_path)
    assert running_supervisor_pid(files) is None
    files.pid_file.write_text("999999999\n")  # no such process
    assert running_supervisor_pid(files) is None
    write_pid_file(files)
    assert files.pid_file.read_text().strip().isdigit()
    remove_pid_file(files)
    assert not files.pid_file.exists()


def test_write_atomically_replaces_with_private_mode(tmp_path: Path) -> None:
    target = tmp_path / "snapshot.yaml"
    target.write_text("old")
    write_atomically(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o077 == 0
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.yaml"]


@pytest.mark.parametrize(
    ("profile", "pi", "expected"),
    [
        pytest.param(None, False, "default", id="default"),
        pytest.param(None, True, "low_write", id="implied-on-a-pi"),
        pytest.param("default", True, "default", id="pi-told-otherwise"),
        pytest.param("low_write", False, "low_write", id="asked-for"),
    ],
)
def test_write_profile(profile: Literal["default", "low_write"] | None, pi: bool, expected: str) -> None:
    section = SupervisorSection(profile=profile)
    assert resolve_settings(SupervisorFlags(), section, {}, HOME, raspberry_pi=pi).write_profile == expected


def test_a_raspberry_pi_is_told_by_its_device_tree_model(tmp_path: Path) -> None:
    model = tmp_path / "model"
    assert not on_raspberry_pi(model)  # no device tree: a PC
    model.write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\x00")
    assert on_raspberry_pi(model)
    model.write_bytes(b"Pine64 RockPro64\x00")
    assert not on_raspberry_pi(model)
