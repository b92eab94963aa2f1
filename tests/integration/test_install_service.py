"""`coderouter-supervisor install-service`: the unit it writes, what it prints, and that systemd
accepts both shipped units rendered for this install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from support.gateway_process import run_cli

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parent.parent.parent
SYSTEM_ONLY = ("User=", "Group=", "ProtectSystem=", "ProtectHome=", "PrivateTmp=", "After=network-online")


def install_service(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, "install-service", *args)


def install(tmp_path: Path, *args: str) -> tuple[str, str]:
    """Render into tmp_path/units; the unit's text and what the command printed."""
    out = tmp_path / "units"
    result = install_service(tmp_path, *args, "--output", str(out))
    assert result.returncode == 0, result.stderr
    (unit,) = out.iterdir()
    return unit.read_text(), result.stdout


def directives(unit: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    return dict(pairs)  # type: ignore[arg-type]


def test_system_unit_runs_this_install_in_the_foreground_with_a_long_drain(tmp_path: Path) -> None:
    unit, printed = install(tmp_path)
    found = directives(unit)
    program, *args = found["ExecStart"].split()
    assert Path(program).is_absolute()
    assert Path(program).is_file()
    assert os.access(program, os.X_OK)
    assert args[-1] == "start"
    assert found["Type"] == "exec"
    assert found["Restart"] == "on-failure"
    assert found["KillMode"] == "mixed"
    assert float(found["TimeoutStopSec"]) > 600
    assert found["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert found["EnvironmentFile"] == "-/etc/coderouter/env"
    assert found["StateDirectory"] == "coderouter"
    assert found["Environment"] == "CODEROUTER_STATE_DB=%S/coderouter/state.db"
    assert found["User"] == "coderouter"
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "LockPersonality"):
        assert found[hardening] == "yes", hardening
    assert found["ProtectSystem"] == "strict"
    assert found["RestrictAddressFamilies"] == "AF_INET AF_INET6 AF_UNIX"
    assert found["WantedBy"] == "multi-user.target"
    assert "@COMMAND@" not in unit
    target = tmp_path / "units" / "coderouter-supervisor.service"
    lines = printed.splitlines()
    assert f"wrote {target}" in lines
    assert lines.index("  systemctl daemon-reload") < lines.index(
        "  systemctl enable --now coderouter-supervisor.service"
    )


def test_single_worker_unit_passes_workers_1(tmp_path: Path) -> None:
    unit, printed = install(tmp_path, "--single")
    assert directives(unit)["ExecStart"].endswith(" start --workers 1")
    assert (tmp_path / "units" / "coderouter-supervisor-single.service").is_file()
    assert "  systemctl enable --now coderouter-supervisor-single.service" in printed.splitlines()


def test_user_unit_drops_what_a_user_manager_cannot_do_and_lands_in_the_users_config(
    tmp_path: Path,
) -> None:
    result = install_service(tmp_path, "--user")
    assert result.returncode == 0, result.stderr
    target = tmp_path / "home" / ".config" / "systemd" / "user" / "coderouter-supervisor.service"
    unit = target.read_text()
    for directive in SYSTEM_ONLY:
        assert not any(line.startswith(directive) for line in unit.splitlines()), directive
    found = directives(unit)
    assert found["EnvironmentFile"] == "-%h/.config/coderouter/env"
    assert found["WantedBy"] == "default.target"
    assert found["NoNewPrivileges"] == "yes"
    assert found["KillMode"] == "mixed"
    lines = result.stdout.splitlines()
    assert f"wrote {target}" in lines
    assert "  systemctl --user daemon-reload" in lines
    assert "  systemctl --user enable --now coderouter-supervisor.service" in lines


def test_config_is_checked_and_passed_as_an_absolute_path(tmp_path: Path) -> None:
    config = tmp_path / "providers.yaml"
    shutil.copy(ROOT / "etc" / "providers.yaml", config)
    result = install_service(tmp_path, "--dry-run", "--config", "providers.yaml")
    assert result.returncode == 0, result.stderr
    assert directives(result.stdout)["ExecStart"].endswith(f" start --config {config}")

    config.write_text("providers: [\n")
    out = tmp_path / "units"
    result = install_service(tmp_path, "--config", str(config), "--output", str(out))
    assert result.returncode == 2
    assert "providers.yaml" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("user", [True, False], ids=["user", "system"])
def test_a_unit_written_elsewhere_is_installed_where_systemd_looks_before_enabling(
    tmp_path: Path, user: bool
) -> None:
    out = tmp_path / "units"
    result = install_service(tmp_path, *(["--user"] if user else []), "--output", str(out))
    assert result.returncode == 0, result.stderr
    target = out / "coderouter-supervisor.service"
    where = tmp_path / "home" / ".config" / "systemd" / "user" if user else Path("/etc/systemd/system")
    systemctl = "systemctl --user" if user else "systemctl"
    lines = result.stdout.splitlines()
    install_line = f"  install -D -m 0644 {target} {where / 'coderouter-supervisor.service'}"
    assert install_line in lines
    assert lines.index(install_line) < lines.index(f"  {systemctl} daemon-reload")
    assert lines.index(f"  {systemctl} daemon-reload") < lines.index(
        f"  {systemctl} enable --now coderouter-supervisor.service"
    )


def test_a_unit_written_where_systemd_looks_needs_no_copy(tmp_path: Path) -> None:
    result = install_service(tmp_path, "--user")
    assert result.returncode == 0, result.stderr
    assert "install -D" not in result.stdout


def test_a_config_the_sandbox_hides_is_to_be_moved_not_the_install(tmp_path: Path) -> None:
    config = tmp_path / "providers.yaml"  # under /tmp: PrivateTmp= hides it from the service
    shutil.copy(ROOT / "etc" / "providers.yaml", config)
    result = install_service(tmp_path, "--dry-run", "--config", str(config))
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if str(config) in line]
    assert "/etc/coderouter/providers.yaml" in warning
    assert "venv" not in warning


def test_dry_run_prints_the_unit_and_writes_nothing(tmp_path: Path) -> None:
    result = install_service(tmp_path, "--user", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# coderouter-supervisor as a systemd service")
    assert "[Service]" in result.stdout
    assert not (tmp_path / "home" / ".config").exists()
    assert install_service(tmp_path, "--dry-run", "--output", str(tmp_path)).returncode == 2


def test_an_unwritable_directory_is_named_with_what_to_do_instead(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = install_service(tmp_path, "--output", str(blocker / "units"))
    assert result.returncode == 1
    assert f"cannot write {blocker / 'units' / 'coderouter-supervisor.service'}" in result.stderr
    assert "sudo" in result.stderr
    assert "--user" in result.stderr
    assert "Traceback" not in result.stderr


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    assert found is not None, "systemd-analyze is missing: apt-get install systemd (.ci/run does)"
    return found


def verify(unit: Path, user: bool, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    # A user manager is looked up through XDG_RUNTIME_DIR, which a test run may not have.
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_COLOR": "0"}
    return subprocess.run(
        [systemd_analyze(), *(["--user"] if user else []), "verify", str(unit)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("single", [False, True], ids=["multi-worker", "single-worker"])
@pytest.mark.parametrize("user", [False, True], ids=["system", "user"])
def test_systemd_analyze_verify_accepts_the_rendered_unit(tmp_path: Path, user: bool, single: bool) -> None:
    args = [*(["--user"] if user else []), *(["--single"] if single else [])]
    install(tmp_path, *args)
    (unit,) = (tmp_path / "units").iterdir()
    result = verify(unit, user, tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    # Unknown or misspelt directives are only warnings (exit 0), each naming the file.
    assert unit.name not in report, report


def test_systemd_analyze_verify_would_catch_a_missing_program(tmp_path: Path) -> None:
    unit_text, _ = install(tmp_path)
    program = directives(unit_text)["ExecStart"].split()[0]
    broken = tmp_path / "units" / "coderouter-supervisor.service"
    broken.write_text(unit_text.replace(program, str(tmp_path / "no-such-program")))
    result = verify(broken, False, tmp_path)
    assert result.returncode != 0
    assert "no-such-program" in result.stdout + result.stderr
