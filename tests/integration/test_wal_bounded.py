"""The WAL under load: workers never checkpoint, the supervisor does, and the WAL stays bounded.

Several real workers behind the real supervisor serve a budgeted provider, so every request writes
(a hold, then its settlement) while a thread samples the ``-wal`` file's size.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from support.fake_upstream import FakeUpstream, Reply, Usage
from support.gateway_process import DEBUG_EVENTS, Gateway, start_gateway
from support.ingress import events, send

pytestmark = pytest.mark.integration

WORKERS = 3
REQUESTS = 240
# The keeper checkpoints at once past 4 MiB; a sample may land just before it does.
BOUND_BYTES = 6 * 1024 * 1024
PRICES = {"input_tokens_per_million": 1000.0, "output_tokens_per_million": 1000.0}


def budgeted_config(upstream: FakeUpstream) -> str:
    document = {
        "default_profile": "metered",
        "providers": [
            {
                "name": "metered",
                "base_url": upstream.openai_base_url,
                "model": "metered-model",
                "cost": {**PRICES, "monthly_budget_usd": 1000.0},
            }
        ],
        "profiles": [{"name": "metered", "providers": ["metered"]}],
    }
    return yaml.safe_dump(document, sort_keys=False)


def wal_size(gateway: Gateway) -> int:
    wal = gateway.state_db.with_name(gateway.state_db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


class WalSampler:
    """Samples the WAL's size every 20 ms on a thread until stopped."""

    def __init__(self, gateway: Gateway) -> None:
        self.sizes: list[int] = []
        self._gateway = gateway
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.sizes.append(wal_size(self._gateway))

    def __enter__(self) -> WalSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[Gateway, FakeUpstream]]:
    with FakeUpstream("metered-model") as upstream:
        upstream.reset(Reply(text="ok", usage=Usage(input_tokens=3, output_tokens=10)))
        gateway = start_gateway(
            tmp_path, config_text=budgeted_config(upstream), workers=WORKERS, env=DEBUG_EVENTS
        )
        try:
            yield gateway, upstream
        finally:
            gateway.shut_down()


def test_the_wal_stays_bounded_under_multi_worker_load(loaded: tuple[Gateway, FakeUpstream]) -> None:
    gateway, _ = loaded

    def one(i: int) -> int:
        return send(gateway, "openai" if i % 2 else "anthropic", i % 3 == 0, timeout=60).status

    with WalSampler(gateway) as during, ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(one, range(REQUESTS)))
    assert statuses == [200] * REQUESTS

    # Every request wrote, from more than one worker.
    result = gateway.cli("budget", "--json")
    assert result.returncode == 0, result.stderr
    ledger = {line["provider"]: line for line in json.loads(result.stdout)}
    assert ledger["metered"]["requests"] == REQUESTS
    assert len({e["pid"] for e in events(gateway, "cache-observed", provider="metered")}) >= 2

    assert during.sizes, "no sample taken"
    assert max(during.sizes) > 0, "the load never reached the WAL"
    assert max(during.sizes) <= BOUND_BYTES, f"WAL reached {max(during.sizes)} bytes"
    # After the load the supervisor's TRUNCATE empties it while the gateway keeps running.
    gateway.wait_until(lambda: wal_size(gateway) == 0, timeout=20, what="the WAL truncated after the load")

    log = gateway.log()
    assert "sqlite-wal-reset-bug" not in log
    ready = events(gateway, "state-ready")
    assert ready and "supervisor alone" in str(ready[0]["wal_checkpoints"])


def test_one_process_checkpoints_its_own_wal(tmp_path: Path) -> None:
    with FakeUpstream("metered-model") as upstream:
        upstream.reset(Reply(text="ok", usage=Usage(input_tokens=3, output_tokens=10)))
        gateway = start_gateway(tmp_path, config_text=budgeted_config(upstream), workers=1)
        try:
            for i in range(20):
                assert send(gateway, "openai" if i % 2 else "anthropic", False).status == 200
            assert events(gateway, "supervisor-started", mode="single-process")
            gateway.wait_until(lambda: wal_size(gateway) == 0, timeout=20, what="the WAL truncated")
        finally:
            gateway.shut_down()
