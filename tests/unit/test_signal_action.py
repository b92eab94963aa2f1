from __future__ import annotations

import signal

import pytest

from coderouter_supervisor.supervisor.lifecycle.signal_loop import SignalAction, signal_action


@pytest.mark.parametrize(
    ("sig", "stopping", "action"),
    [
        pytest.param(signal.SIGHUP, False, "reload", id="hup-reloads"),
        pytest.param(signal.SIGHUP, True, "reload", id="hup-while-draining-still-reloads"),
        pytest.param(signal.SIGTERM, False, "drain", id="term-drains"),
        pytest.param(signal.SIGINT, False, "drain", id="ctrl-c-drains"),
        pytest.param(signal.SIGINT, True, "stop-now", id="second-ctrl-c-stops-now"),
        pytest.param(signal.SIGTERM, True, "ignore", id="second-term-keeps-draining"),
    ],
)
def test_signal_action(sig: signal.Signals, stopping: bool, action: SignalAction) -> None:
    assert signal_action(sig, stopping) == action
