"""One large request must not stall the worker serving it: /healthz keeps answering meanwhile.

The body is the largest the gateway accepts on both counts: just under ``max_body_mib`` (a
screenshot's worth of base64) and just under ``MAX_JSON_ELEMENTS`` (tens of thousands of small
messages). A single worker (``--workers 1``) serves it while the test polls ``/healthz`` on the same
process; every wait must stay under 100 ms (before, 900,000 small messages kept /healthz waiting
4.5 s, and heartbeats go stale at 6 s). A body past the element bound is refused at once.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from coderouter_supervisor.worker.config.supervisor_section import DEFAULT_MAX_BODY_MIB
from coderouter_supervisor.worker.ingress.body import MAX_JSON_ELEMENTS

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream
from support.gateway_process import Gateway, start_gateway

pytestmark = pytest.mark.integration

WORST_HEALTHZ_S = 0.1
HEALTHZ_EVERY_S = 0.01


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    tmp_path: Path = tmp_path_factory.mktemp("large-body")
    with FakeUpstream() as upstream:
        text = providers_yaml(
            [
                {"name": "local", "base_url": upstream.openai_base_url, "model": "m"},
                {
                    "name": "claude",
                    "kind": "anthropic",
                    "base_url": upstream.anthropic_base_url,
                    "model": "m",
                },
            ],
            {"local": ["local"], "claude": ["claude"]},
        )
        gateway = start_gateway(tmp_path, config_text=text, workers=1)
        try:
            yield gateway
        finally:
            gateway.terminate()


def _elements(raw: bytes) -> int:
    return raw.count(b",") + raw.count(b"{") + raw.count(b"[")


def _largest_body(ingress: str) -> bytes:
    """Small turns up to the element bound, and a last turn whose image fills the body to its limit."""
    image_bytes = (DEFAULT_MAX_BODY_MIB - 3) * 1024 * 1024 * 3 // 4
    data = base64.b64encode(os.urandom(image_bytes)).decode()
    question: dict[str, Any] = {"type": "text", "text": "what is this?"}
    if ingress == "anthropic":
        source = {"type": "base64", "media_type": "image/png", "data": data}
        image: dict[str, Any] = {"type": "image", "source": source}
    elif ingress == "openai":
        image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}
    else:
        image = {"type": "input_image", "image_url": f"data:image/png;base64,{data}"}
        question = {"type": "input_text", "text": "what is this?"}
    last = {"role": "user", "content": [image, question]}
    turns = (MAX_JSON_ELEMENTS - 100) // 3  # each small turn: "{", and two commas around it
    turns -= turns % 2
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": "hi"} for i in range(turns)]
    if ingress == "responses":
        body = {"model": "m", "max_output_tokens": 16, "input": [*messages, last]}
    else:
        body = {"model": "m", "max_tokens": 16, "messages": [*messages, last]}
    raw = json.dumps(body).encode()
    assert MAX_JSON_ELEMENTS - 1000 < _elements(raw) <= MAX_JSON_ELEMENTS
    assert (DEFAULT_MAX_BODY_MIB - 2) * 1024 * 1024 < len(raw) <= DEFAULT_MAX_BODY_MIB * 1024 * 1024
    return raw


def _path(ingress: str) -> str:
    return {"anthropic": "/v1/messages", "openai": "/v1/chat/completions", "responses": "/v1/responses"}[
        ingress
    ]


# Polls /healthz from its own process until its stdin closes, then prints every wait as JSON: in the
# test's process the waits would include the fake upstream parsing the large body (same GIL).
POLLER = f"""
import json, sys, threading, time
import httpx
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
waits = []
with httpx.Client(base_url=sys.argv[1], timeout=30) as client:
    client.get("/healthz").raise_for_status()
    print("ready", flush=True)
    while not done.is_set():
        started = time.monotonic()
        client.get("/healthz").raise_for_status()
        waits.append(time.monotonic() - started)
        time.sleep({HEALTHZ_EVERY_S})
print(json.dumps(waits), flush=True)
"""


@pytest.mark.parametrize("ingress", ["anthropic", "openai", "responses"])
@pytest.mark.parametrize("profile", ["local", "claude"])
def test_healthz_keeps_answering_while_the_largest_body_is_served(
    gateway: Gateway, ingress: str, profile: str
) -> None:
    raw = _largest_body(ingress)
    with subprocess.Popen(
        [sys.executable, "-c", POLLER, gateway.base_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as poller:
        assert poller.stdout is not None and poller.stdin is not None
        try:
            assert poller.stdout.readline().strip() == "ready"
            response = httpx.post(
                f"{gateway.base_url}{_path(ingress)}",
                content=raw,
                headers={"content-type": "application/json", "x-coderouter-profile": profile},
                timeout=120,
            )
            poller.stdin.close()
            waits: list[float] = json.loads(poller.stdout.readline())
        finally:
            if poller.poll() is None and not poller.stdin.closed:
                poller.stdin.close()
            poller.wait(30)
    assert response.status_code == 200, response.text[:300]
    assert len(waits) >= 5, "the large request was served too fast to observe"
    # Alone on a 2-core box the worst wait is 10-35 ms; beside two busy processes, 20-75 ms.
    assert max(waits) < WORST_HEALTHZ_S, f"worst /healthz waits (s): {sorted(waits)[-5:]}"


@pytest.mark.parametrize("ingress", ["anthropic", "openai", "responses"])
def test_a_body_past_the_element_bound_is_413_at_once(gateway: Gateway, ingress: str) -> None:
    messages = [{"role": "user", "content": "hi"}] * (MAX_JSON_ELEMENTS // 3 + 10)
    raw = json.dumps({"model": "m", "max_tokens": 16, "messages": messages}).encode()
    response = httpx.post(
        f"{gateway.base_url}{_path(ingress)}",
        content=raw,
        headers={"content-type": "application/json", "x-coderouter-profile": "claude"},
        timeout=30,
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert "JSON elements" in error["message"]
    assert error["type"] == ("request_too_large" if ingress == "anthropic" else "invalid_request_error")
