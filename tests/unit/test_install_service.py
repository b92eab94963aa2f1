"""Rendering systemd units: pure functions of the shipped templates and a request."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from coderouter_supervisor.supervisor.commands.install_service import (
    USER_DROPPED,
    UnitRequest,
    find_command,
    render_unit,
    sandbox_warnings,
    systemd_quote,
    unit_name,
    unit_user,
    user_unit_dir,
)

ETC = Path(__file__).parent.parent.parent / "etc"
PROGRAM = ("/opt/coderouter/bin/coderouter-supervisor",)


def template(single: bool) -> str:
    return (ETC / unit_name(single)).read_text()


def keys(unit: str) -> set[str]:
    return {line.split("=", 1)[0] for line in unit.splitlines() if "=" in line and not line.startswith("#")}


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        pytest.param("/opt/bin/x", "/opt/bin/x", id="plain"),
        pytest.param("/opt/my env/x", '"/opt/my env/x"', id="space"),
        pytest.param("/opt/100%/x", "/opt/100%%/x", id="percent-specifier"),
        pytest.param("/opt/$HOME/x", "/opt/$$HOME/x", id="dollar-variable"),
        pytest.param('/opt/a"b', '"/opt/a\\"b"', id="double-quote"),
        pytest.param("/opt/a\\b", '"/opt/a\\\\b"', id="backslash"),
        pytest.param("", '""', id="empty"),
    ],
)
def test_systemd_quote(arg: str, expected: str) -> None:
    assert systemd_quote(arg) == expected


@pytest.mark.parametrize("single", [False, True], ids=["multi", "single"])
def test_system_render_fills_the_placeholder_and_keeps_every_directive(single: bool) -> None:
    text = template(single)
    unit = render_unit(text, UnitRequest("system", single, PROGRAM))
    assert "@COMMAND@" not in unit
    assert keys(unit) == keys(text)
    expected = "start --workers 1" if single else "start"
    assert f"ExecStart={PROGRAM[0]} {expected}\n" in unit
    assert unit_user(unit) == "coderouter"


@pytest.mark.parametrize("single", [False, True], ids=["multi", "single"])
def test_user_render_drops_system_only_directives_and_their_comments(single: bool) -> None:
    unit = render_unit(template(single), UnitRequest("user", single, PROGRAM))
    assert keys(unit) & USER_DROPPED == set()
    assert unit_user(unit) is None
    assert "useradd" not in unit
    assert "/etc/coderouter/env" not in unit
    assert "/var/lib" not in unit
    assert "\n\n\n" not in unit
    assert "EnvironmentFile=-%h/.config/coderouter/env\n" in unit


def test_render_appends_the_config_and_quotes_the_command() -> None:
    request = UnitRequest(
        "system",
        False,
        ("/opt/my venv/bin/python", "-m", "coderouter_supervisor.supervisor"),
        Path("/etc/c r.yaml"),
    )
    unit = render_unit(template(False), request)
    assert (
        'ExecStart="/opt/my venv/bin/python" -m coderouter_supervisor.supervisor start'
        ' --config "/etc/c r.yaml"\n' in unit
    )


@pytest.mark.parametrize(
    ("text", "command"),
    [
        pytest.param("[Service]\nExecStart=@COMMAND@ start\n", ("relative/program",), id="relative-program"),
        pytest.param("[Service]\nExecStart=/bin/true\n", PROGRAM, id="no-placeholder"),
        pytest.param(
            "[Service]\nExecStart=@COMMAND@\nExecStop=@COMMAND@ stop\n", PROGRAM, id="placeholder-left"
        ),
    ],
)
def test_render_refuses_what_would_not_run(text: str, command: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=r"absolute|ExecStart|left"):
        render_unit(text, UnitRequest("system", False, command))


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        pytest.param(["/opt/coderouter/bin/coderouter-supervisor", "/usr/bin/python3.11"], [], id="visible"),
        pytest.param(["/home/al/.venv/bin/x"], ["/home/al/.venv/bin/x is under /home"], id="home"),
        pytest.param(["/root/.pyenv/python"], ["/root/.pyenv/python is under /root"], id="root"),
        pytest.param(
            ["/tmp/venv/bin/x", "/tmp/venv/bin/x"], ["/tmp/venv/bin/x is under /tmp"], id="tmp-once"
        ),
        pytest.param(["/var/tmpfoo/x"], [], id="prefix-is-not-a-parent"),
    ],
)
def test_sandbox_warnings(paths: list[str], expected: list[str]) -> None:
    warnings = sandbox_warnings(PurePosixPath(p) for p in paths)
    assert [w.split(",")[0] for w in warnings] == expected


def test_find_command_prefers_the_console_script(tmp_path: Path) -> None:
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text("")
    assert find_command("-c", str(python)) == (str(python), "-m", "coderouter_supervisor.supervisor")
    script = python.with_name("coderouter-supervisor")
    script.write_text("#!/bin/sh\n")
    assert find_command("-c", str(python)) == (str(python), "-m", "coderouter_supervisor.supervisor")
    script.chmod(0o755)
    assert find_command("-c", str(python)) == (str(script),)
    elsewhere = tmp_path / "pipx" / "coderouter-supervisor"
    elsewhere.parent.mkdir()
    elsewhere.write_text("#!/bin/sh\n")
    elsewhere.chmod(0o755)
    assert find_command(str(elsewhere), str(python)) == (str(elsewhere),)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({}, "/h/.config/systemd/user", id="default"),
        pytest.param({"XDG_CONFIG_HOME": "/x"}, "/x/systemd/user", id="xdg"),
        pytest.param({"XDG_CONFIG_HOME": "rel"}, "/h/.config/systemd/user", id="xdg-relative"),
    ],
)
def test_user_unit_dir(env: dict[str, str], expected: str) -> None:
    assert user_unit_dir(env, Path("/h")) == Path(expected)
