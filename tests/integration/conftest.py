from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.gateway_process import Gateway, StartGateway, start_gateway
from support.system_tools import install_hint, missing_message, missing_tools


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Iterator[StartGateway]:
    """Start supervisors for one test; every one is stopped (or killed) afterwards."""
    started: list[Gateway] = []

    def start(*args: str, **kwargs: object) -> Gateway:
        gateway = start_gateway(tmp_path, *args, **kwargs)  # type: ignore[arg-type]
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        if gateway.proc.poll() is None:
            gateway.shut_down()


def _required(item: pytest.Item) -> list[str]:
    return [str(name) for marker in item.iter_markers("requires") for name in marker.args]


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> list[str]:
    """Say before the first test runs which collected tests cannot run here, and what to install."""
    lines: list[str] = []
    for tool in missing_tools(name for item in items for name in _required(item)):
        needing = sorted({item.nodeid.split("::")[0] for item in items if tool.program in _required(item)})
        lines.append(
            f"MISSING {tool.program} ({tool.purpose}): {', '.join(needing)} will fail at once; "
            f"install with `{install_hint([tool])}`"
        )
    return lines


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture starts a gateway: the test fails now, saying what to install.
    missing = missing_tools(_required(item))
    if missing:
        pytest.fail(missing_message(missing), pytrace=False)
