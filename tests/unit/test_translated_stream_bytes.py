"""Translated streams send the client exactly the bytes they did before their per-event fast paths.

``data/translated_streams.json`` holds upstream event sequences: every stream the unit tests fed a
stream translator (recorded from them), and streams shaped like the fake upstreams' with text that
needs escaping (quotes, backslashes, control characters, unicode, emoji, line separators) in text,
thinking and tool-call arguments. Each goes through every translating adapter for its upstream
kind, plain and with tools declared and output filters on; the bytes, the usage report and any
error must equal (by SHA-256) what the code before the fast paths produced (recorded with
``python tests/unit/test_translated_stream_bytes.py``, from commit ca3a39a).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from coderouter_supervisor.worker.adapters import (
    anthropic_on_openai_compat,
    anthropic_on_openai_responses,
    openai_on_anthropic,
    openai_on_openai_responses,
    responses_on_anthropic,
    responses_on_openai_compat,
)
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.config import ProfileConfig, ProviderConfig, ProviderKind
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import ChatCompletionRequest, MessagesRequest, ResponsesRequest
from coderouter_supervisor.worker.providers import ProviderCall, UpstreamEvent

DATA = Path(__file__).parent / "data" / "translated_streams.json"

USER = {"role": "user", "content": "hi"}
TOOLS_ANTHROPIC = [{"name": "Read", "description": "read", "input_schema": {"type": "object"}}]
TOOLS_CHAT = [{"type": "function", "function": {"name": "Read", "parameters": {"type": "object"}}}]
TOOLS_RESPONSES = [{"type": "function", "name": "Read", "parameters": {"type": "object"}}]


def _request(client: str, tooled: bool) -> Any:
    if client == "anthropic":
        body: dict[str, Any] = {"model": "asked", "max_tokens": 100, "messages": [USER]}
        return MessagesRequest.model_validate(body | ({"tools": TOOLS_ANTHROPIC} if tooled else {}))
    if client == "openai":
        body = {"model": "asked", "messages": [USER], "stream": True}
        extra = {"tools": TOOLS_CHAT, "stream_options": {"include_usage": True}} if tooled else {}
        return ChatCompletionRequest.model_validate(body | extra)
    body = {"model": "asked", "input": "hi", "stream": True}
    extra = {"tools": TOOLS_RESPONSES, "include": ["reasoning.encrypted_content"]} if tooled else {}
    return ResponsesRequest.model_validate(body | extra)


UPSTREAM_KIND: dict[str, ProviderKind] = {
    "anthropic": "anthropic",
    "chat": "openai_compat",
    "responses": "openai_responses",
}
# (client protocol, adapter, module whose clock it reads) per upstream kind.
ADAPTERS: dict[str, list[tuple[str, ProtocolAdapter, Any]]] = {
    "anthropic": [
        ("openai", openai_on_anthropic.OPENAI_ON_ANTHROPIC, openai_on_anthropic),
        ("responses", responses_on_anthropic.RESPONSES_ON_ANTHROPIC, responses_on_anthropic),
    ],
    "chat": [
        ("anthropic", anthropic_on_openai_compat.ANTHROPIC_ON_OPENAI_COMPAT, None),
        ("responses", responses_on_openai_compat.RESPONSES_ON_OPENAI_COMPAT, responses_on_openai_compat),
    ],
    "responses": [
        ("anthropic", anthropic_on_openai_responses.ANTHROPIC_ON_OPENAI_RESPONSES, None),
        ("openai", openai_on_openai_responses.OPENAI_ON_OPENAI_RESPONSES, openai_on_openai_responses),
    ],
}


def _call(upstream: str, tooled: bool) -> ProviderCall:
    provider = ProviderConfig(
        name="p",
        kind=UPSTREAM_KIND[upstream],
        base_url="http://127.0.0.1:1",
        model="m",
        output_filters=["strip_thinking", "strip_stop_markers"] if tooled else [],
    )
    return ProviderCall(provider, ProfileConfig(name="x", providers=("p",)), api_key=None)


def run_stream(upstream: str, client: str, tooled: bool, events: list[Any]) -> dict[str, Any]:
    """What the client gets for ``events``, fed one at a time as the relay does (an upstream error
    ends the stream through ``fail``), then ``finish``; ids and clocks must be pinned by the caller."""
    adapter = next(a for c, a, _ in ADAPTERS[upstream] if c == client)
    frames = adapter.client_stream(_call(upstream, tooled), _request(client, tooled), input_tokens=9)
    out: list[bytes] = []
    error = None
    for payload in copy.deepcopy(events):  # every case of a stream starts from the same events
        try:
            name = None if upstream == "chat" else payload.get("type")
            out.append(frames.feed(UpstreamEvent(name, payload)))
        except GatewayError as exc:
            error = type(exc).__name__
            out.append(frames.fail(exc))
            break
    else:
        out.append(frames.finish(True))
    report = frames.report
    usage = report.usage
    return {
        # A digest keeps the data file small; a mismatch names the case, and its bytes are one run away.
        "sha256": hashlib.sha256(b"".join(out)).hexdigest(),
        "error": error,
        "report": [None if usage is None else list(usage.__dict__.values()), report.final],
    }


def _pinned(monkeypatch: Any) -> None:
    counter = itertools.count()
    monkeypatch.setattr("secrets.token_hex", lambda n: f"{next(counter):0{2 * n}x}")
    for _, _, module in itertools.chain(*ADAPTERS.values()):
        if module is not None:
            monkeypatch.setattr(module, "time", SimpleNamespace(time=lambda: 1_700_000_000.5))


def _stream_runs(data: dict[str, Any]) -> list[tuple[str, str, bool, list[Any], str]]:
    return [
        (upstream, client, tooled, events, f"{upstream}-{number}-{client}-{'tooled' if tooled else 'plain'}")
        for upstream, streams in data["streams"].items()
        for number, events in enumerate(streams)
        for client, _, _ in ADAPTERS[upstream]
        for tooled in (False, True)
    ]


def _cases() -> list[Any]:
    data = json.loads(DATA.read_text())
    return [
        pytest.param(upstream, client, tooled, events, data["expected"].get(case), id=case)
        for upstream, client, tooled, events, case in _stream_runs(data)
    ]


@pytest.mark.parametrize(("upstream", "client", "tooled", "events", "expected"), _cases())
def test_translated_stream_bytes_unchanged(
    monkeypatch: pytest.MonkeyPatch,
    upstream: str,
    client: str,
    tooled: bool,
    events: list[Any],
    expected: Any,
) -> None:
    _pinned(monkeypatch)
    assert run_stream(upstream, client, tooled, events) == expected


def _record() -> None:  # pragma: no cover - run by hand against the code the bytes are pinned to
    data = json.loads(DATA.read_text())
    expected = {}
    for upstream, client, tooled, events, case in _stream_runs(data):
        with pytest.MonkeyPatch.context() as monkeypatch:
            _pinned(monkeypatch)
            expected[case] = run_stream(upstream, client, tooled, events)
    data["expected"] = expected
    DATA.write_text(json.dumps(data, ensure_ascii=True, indent=None, separators=(",", ":")) + "\n")
    print(f"{len(expected)} cases recorded, {DATA.stat().st_size} bytes")


if __name__ == "__main__":
    _record()
