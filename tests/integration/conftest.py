from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.gateway_process import Gateway, StartGateway, start_gateway


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
            try:
                gateway.terminate()
            except Exception:
                gateway.kill_all()
