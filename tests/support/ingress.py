"""Send one request through either ingress, streamed or not, and read back what a client sees.

Routing must not depend on the protocol a request came in; these helpers let one test body run
over all four (ingress, stream) combinations and compare results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import pytest

from support.gateway_process import Gateway
from support.stack import CLIENT_KEY

IngressName = Literal["anthropic", "openai", "responses"]

COMBINATIONS = [
    pytest.param("anthropic", False, id="anthropic"),
    pytest.param("anthropic", True, id="anthropic-stream"),
    pytest.param("openai", False, id="openai"),
    pytest.param("openai", True, id="openai-stream"),
]

RESPONSES_COMBINATIONS = [
    pytest.param("responses", False, id="responses"),
    pytest.param("responses", True, id="responses-stream"),
]


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    text: str  # the answer's text (joined deltas for a stream)
    error: dict[str, Any] | None  # the error object, from the body or the stream's error event
    raw: str

    @property
    def provider(self) -> str | None:
        return self.headers.get("x-coderouter-provider")

    @property
    def fallback_chain(self) -> str | None:
        return self.headers.get("x-coderouter-fallback-chain")


def _anthropic_body(messages: list[dict[str, Any]], system: Any, extra: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": messages, **extra}
    if system is not None:
        body["system"] = system
    return body


def _openai_body(messages: list[dict[str, Any]], system: Any, extra: dict[str, Any]) -> dict[str, Any]:
    prefix = [{"role": "system", "content": system}] if system is not None else []
    return {"model": "gpt-x", "max_tokens": 64, "messages": [*prefix, *messages], **extra}


def _responses_body(items: list[dict[str, Any]], system: Any, extra: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "gpt-x", "max_output_tokens": 64, "input": items, **extra}
    if system is not None:
        body["instructions"] = system
    return body


def _responses_text(response: dict[str, Any]) -> str:
    return "".join(
        part.get("text", "")
        for item in response.get("output") or []
        if item.get("type") == "message"
        for part in item.get("content") or []
    )


def _stream_event(ingress: IngressName, payload: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The text and the error one stream event carries."""
    kind = payload.get("type")
    if ingress == "responses":
        error = payload["response"]["error"] if kind == "response.failed" else None
        return (payload["delta"] if kind == "response.output_text.delta" else ""), error
    if ingress == "anthropic":
        delta = payload.get("delta") or {}
        text = delta["text"] if delta.get("type") == "text_delta" else ""
        return text, payload["error"] if kind == "error" else None
    contents = ((choice.get("delta") or {}).get("content") for choice in payload.get("choices") or [])
    return "".join(content for content in contents if content), payload.get("error")


def _read_stream(ingress: IngressName, raw: str) -> tuple[str, dict[str, Any] | None]:
    text: list[str] = []
    error: dict[str, Any] | None = None
    for line in raw.splitlines():
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            continue
        piece, found = _stream_event(ingress, json.loads(data))
        text.append(piece)
        error = found or error
    return "".join(text), error


def _read_body(ingress: IngressName, response: httpx.Response) -> tuple[str, dict[str, Any] | None]:
    payload = response.json()
    if response.status_code >= 400:
        return "", payload.get("error")
    if ingress == "anthropic":
        return "".join(b.get("text", "") for b in payload["content"] if b["type"] == "text"), None
    if ingress == "responses":
        return _responses_text(payload), None
    return payload["choices"][0]["message"].get("content") or "", None


def send(
    gateway: Gateway,
    ingress: IngressName,
    stream: bool,
    *,
    messages: list[dict[str, Any]] | None = None,
    system: Any = None,
    profile: str | None = None,
    extra: dict[str, Any] | None = None,
    timeout: float = 30,
) -> Answer:
    """POST one request; ``messages`` are in the ingress's own shape (Responses: ``input`` items;
    default: one user "hello")."""
    messages = messages or [{"role": "user", "content": "hello"}]
    extra = {**(extra or {}), "stream": stream}
    if ingress == "anthropic":
        path, body = "/v1/messages", _anthropic_body(messages, system, extra)
        headers = {"x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01"}
    elif ingress == "responses":
        path, body = "/v1/responses", _responses_body(messages, system, extra)
        headers = {"authorization": f"Bearer {CLIENT_KEY}"}
    else:
        path, body = "/v1/chat/completions", _openai_body(messages, system, extra)
        headers = {"authorization": f"Bearer {CLIENT_KEY}"}
    if profile is not None:
        headers["x-coderouter-profile"] = profile
    response = httpx.post(f"{gateway.base_url}{path}", json=body, headers=headers, timeout=timeout)
    if stream and response.headers.get("content-type", "").startswith("text/event-stream"):
        text, error = _read_stream(ingress, response.text)
    else:
        text, error = _read_body(ingress, response)
    return Answer(response.status_code, response.headers, text, error, response.text)


def events(gateway: Gateway, name: str, **match: object) -> list[dict[str, Any]]:
    """The gateway's structured log events called ``name`` whose fields include ``match``."""
    found = []
    for line in gateway.log().splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("event") == name and all(record.get(k) == v for k, v in match.items()):
            found.append(record)
    return found


def wait_events(gateway: Gateway, name: str, count: int = 1, **match: object) -> list[dict[str, Any]]:
    """Like :func:`events`, waiting (briefly) until ``count`` have been logged: a stream's
    settlement is logged just after its last byte reached the client."""
    found: list[dict[str, Any]] = []

    def enough() -> bool:
        found[:] = events(gateway, name, **match)
        return len(found) >= count

    gateway.wait_until(enough, timeout=10, what=f"{count} x {name} {match}")
    return found
