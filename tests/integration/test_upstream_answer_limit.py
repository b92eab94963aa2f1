"""An upstream that answers far more than anyone needs must not take a worker's memory.

A dedicated loopback server answers every request with 64 MiB: one JSON body without a length
(read until the connection closes) or, for a stream, one SSE line that never ends. The gateway
reads at most ``supervisor.max_upstream_answer_mib`` (16 MiB by default), treats the attempt as
failed (the chain falls through before the first byte) and answers 502 in the caller's envelope
when nothing is left. The worker's peak RSS (``VmHWM``) shows what was read into memory.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream
from support.gateway_process import Gateway, start_gateway
from support.ingress import COMBINATIONS, IngressName, events, send

pytestmark = pytest.mark.integration

ANSWER_MIB = 64
# Reading the whole answer took a worker from 52 MB to 368 MB; reading up to the 16 MiB limit
# costs a few tens of MB.
PEAK_GROWTH_LIMIT_MB = 120


class _HugeAnswer(BaseHTTPRequestHandler):
    """Any POST: 64 MiB without a content-length, the start of a JSON object or of an SSE line."""

    protocol_version = "HTTP/1.0"  # the body ends when the connection closes

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
        streamed = bool(body.get("stream"))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream" if streamed else "application/json")
        self.end_headers()
        head = b"data: {" if streamed else b'{"id": "huge", "choices": [{"message": {"content": "'
        block = b"a" * (1024 * 1024)
        try:
            self.wfile.write(head)
            for _ in range(ANSWER_MIB):
                self.wfile.write(block)
        except OSError:
            pass  # the gateway stopped reading, as it should

    def log_message(self, format: str, *args: object) -> None:
        pass


class _HugeServer(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture(scope="module")
def huge_upstream() -> Iterator[str]:
    server = _HugeServer(("127.0.0.1", 0), _HugeAnswer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, huge_upstream: str) -> Iterator[Gateway]:
    tmp_path: Path = tmp_path_factory.mktemp("answer-limit")
    with FakeUpstream() as local:
        text = providers_yaml(
            [
                {"name": "huge-openai", "base_url": f"{huge_upstream}/v1", "model": "m"},
                {
                    "name": "huge-anthropic",
                    "kind": "anthropic",
                    "base_url": huge_upstream,
                    "model": "m",
                },
                {"name": "local", "base_url": local.openai_base_url, "model": "m"},
            ],
            {
                "huge": ["huge-openai", "huge-anthropic"],
                "huge-then-local": ["huge-openai", "huge-anthropic", "local"],
            },
        )
        gateway = start_gateway(tmp_path, config_text=text, workers=1)
        try:
            yield gateway
        finally:
            gateway.terminate()


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM for pid {pid}")


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_a_huge_answer_is_a_502_and_leaves_the_worker_small(
    gateway: Gateway, ingress: IngressName, stream: bool
) -> None:
    (pid,) = gateway.worker_pids()
    before = _peak_rss_mb(pid)
    answer = send(gateway, ingress, stream, profile="huge", timeout=120)
    assert answer.status == 502, answer.raw[:500]
    assert _peak_rss_mb(pid) - before < PEAK_GROWTH_LIMIT_MB
    assert answer.error is not None
    assert "max_upstream_answer_mib" in answer.error["message"]
    if ingress == "anthropic":
        assert answer.error["type"] == "api_error"
    else:
        assert set(answer.error) == {"message", "type", "param", "code"}
    assert gateway.worker_pids() == {pid}
    failed = events(gateway, "provider-failed", reason="answer-too-large")
    assert {"huge-openai", "huge-anthropic"} <= {e["provider"] for e in failed}
    assert events(gateway, "internal-error") == []


@pytest.mark.parametrize(("ingress", "stream"), COMBINATIONS)
def test_a_huge_answer_falls_through_to_the_next_provider(
    gateway: Gateway, ingress: IngressName, stream: bool
) -> None:
    answer = send(gateway, ingress, stream, profile="huge-then-local", timeout=120)
    assert answer.status == 200, answer.raw[:500]
    assert answer.text == "Hello from the fake upstream."
    assert answer.provider == "local"
    assert answer.fallback_chain is not None and "answer-too-large" in answer.fallback_chain
