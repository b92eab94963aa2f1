"""Traffic across gunicorn's workers: how new connections spread, and what a reload does to them.

Each response names its worker: ``/healthz`` answers with the pid of the worker that served it.
"""

from __future__ import annotations

import collections
import http.client
import json
import select
import socket
import threading
from pathlib import Path

import httpx
import pytest

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream
from support.gateway_process import Gateway, StartGateway
from support.ingress import events, wait_events

pytestmark = pytest.mark.integration

WORKERS = 4


def _pids_per_connection(gateway: Gateway, connections: int, requests_each: int) -> list[int]:
    """Open ``connections`` keep-alive connections at once (every handshake started before any is
    waited for, so the kernel queues them together), then send ``requests_each`` requests on each;
    the pid that served each connection (one per connection, which is checked)."""
    sockets = [socket.socket() for _ in range(connections)]
    try:
        for sock in sockets:
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", gateway.port))
        served = []
        for sock in sockets:
            select.select([], [sock], [], 30)
            sock.settimeout(30)
            connection = http.client.HTTPConnection("127.0.0.1", gateway.port)
            connection.sock = sock
            pids = set()
            for _ in range(requests_each):
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                assert response.status == 200
                pids.add(int(json.loads(response.read())["pid"]))
            assert len(pids) == 1, "a keep-alive connection was served by two workers"
            served.append(pids.pop())
        return served
    finally:
        for sock in sockets:
            sock.close()


def test_a_burst_of_new_connections_spreads_over_the_workers(gateway_factory: StartGateway) -> None:
    gateway = gateway_factory(workers=WORKERS)
    workers = gateway.worker_pids()
    # Bursts of 64 connections opened at once: twice with 5 requests on each (keep-alive
    # clients), once with one request each. With one listening socket shared by every worker,
    # one or two workers accepted each whole burst.
    served: collections.Counter[int] = collections.Counter()
    for requests_each in (5, 5, 1):
        burst = _pids_per_connection(gateway, 64, requests_each)
        assert set(burst) == workers, collections.Counter(burst)
        served.update(burst)
    fair = sum(served.values()) / WORKERS
    # The kernel spreads by address hash, not round robin: these bounds fail by bad luck less
    # than once in a million runs (a worker missing from a burst of 64: 4 x 0.75^64 = 4e-8).
    assert all(fair / 4 <= count <= 2 * fair for count in served.values()), served


def _config(upstream: FakeUpstream, revision: int) -> str:
    text = providers_yaml(
        [{"name": "local", "base_url": upstream.openai_base_url, "model": "m"}], {"main": ["local"]}
    )
    return f"{text}# revision {revision}\n"


class _KeepAliveLoad:
    """Clients that each keep one connection and send the next request as soon as the last is
    answered, alternating a gateway request and ``/healthz``; every failure is kept."""

    def __init__(self, gateway: Gateway, clients: int) -> None:
        self._gateway = gateway
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.failures: list[str] = []
        self.digests: collections.Counter[str] = collections.Counter()
        self.requests = 0
        self._threads = [threading.Thread(target=self._run) for _ in range(clients)]

    def _run(self) -> None:
        body = {"model": "m", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
        with httpx.Client(base_url=self._gateway.base_url, timeout=30) as client:
            while not self._stop.is_set():
                try:
                    answer = client.post("/v1/chat/completions", json=body)
                    answer.raise_for_status()
                    health = client.get("/healthz")
                    health.raise_for_status()
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.failures.append(repr(exc))
                    continue
                with self._lock:
                    self.requests += 2
                    self.digests[str(health.json()["config"])] += 1

    def __enter__(self) -> _KeepAliveLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def count(self) -> int:
        with self._lock:
            return self.requests


def test_reload_under_keep_alive_load_drops_no_request(gateway_factory: StartGateway, tmp_path: Path) -> None:
    with FakeUpstream() as upstream:
        gateway = gateway_factory(workers=WORKERS, config_text=_config(upstream, 1))
        config_path = tmp_path / "providers.yaml"
        old_workers = gateway.worker_pids()
        old_digest = gateway.healthz()["config"]
        with _KeepAliveLoad(gateway, 16) as load:
            gateway.wait_until(lambda: load.count() >= 200, 30, "load running")
            config_path.write_text(_config(upstream, 2))
            assert gateway.cli("reload", "--config", str(config_path)).returncode == 0
            new_digest = wait_events(gateway, "reload-accepted")[0]["config"]
            assert new_digest != old_digest
            gateway.wait_until(lambda: load.digests[new_digest] >= 200, 60, "new workers serving")
            # Every old worker has drained and exited, and the load keeps going meanwhile.
            gateway.wait_until(lambda: gateway.healthz()["workers_alive"] == WORKERS, 60, "old workers gone")
            gateway.wait_until(
                lambda: not old_workers & {int(str(gateway.healthz()["pid"])) for _ in range(8)},
                60,
                "only new workers answering",
            )
            settled = load.count()
            gateway.wait_until(lambda: load.count() >= settled + 200, 30, "load after the reload")
        assert load.failures == []
        assert load.digests[old_digest] > 0
        assert load.digests[new_digest] > 0


def test_reload_with_the_same_config_keeps_every_worker(
    gateway_factory: StartGateway, tmp_path: Path
) -> None:
    with FakeUpstream() as upstream:
        gateway = gateway_factory(workers=2, config_text=_config(upstream, 1))
        config_path = tmp_path / "providers.yaml"
        workers = gateway.worker_pids()
        assert gateway.cli("reload", "--config", str(config_path)).returncode == 0
        unchanged = wait_events(gateway, "reload-unchanged")[0]
        assert unchanged["config"] == gateway.healthz()["config"]
        # The arbiter was not asked to roll its workers (it logs every signal it handles).
        assert events(gateway, "reload-accepted") == []
        assert "Handling signal: hup" not in gateway.log()
        assert gateway.worker_pids() == workers

        # The same providers.yaml with changed capability rules is a change: the workers load both.
        capabilities = tmp_path / "home" / ".coderouter" / "model-capabilities.yaml"
        capabilities.parent.mkdir(parents=True, exist_ok=True)
        capabilities.write_text('version: 1\nrules:\n  - match: "m"\n    capabilities: {tools: true}\n')
        assert gateway.cli("reload", "--config", str(config_path)).returncode == 0
        wait_events(gateway, "reload-accepted")
        gateway.wait_until(lambda: "Handling signal: hup" in gateway.log(), 15, "the arbiter's reload")
        gateway.wait_until(
            lambda: not workers & {int(str(gateway.healthz()["pid"])) for _ in range(8)}, 60, "new workers"
        )
