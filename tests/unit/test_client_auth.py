"""Reading the client's credential and telling loopback apart (pure)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from coderouter_supervisor.worker.ingress.client_auth import is_loopback, key_hash, presented_key
from coderouter_supervisor.worker.ingress.host_guard import host_name
from coderouter_supervisor.worker.money import seconds_to_next_month


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"x-api-key": " crs-a "}, "crs-a", id="x-api-key"),
        pytest.param({"authorization": "Bearer crs-b"}, "crs-b", id="bearer"),
        pytest.param({"authorization": "bearer crs-b"}, "crs-b", id="bearer-any-case"),
        pytest.param({"x-api-key": "crs-a", "authorization": "Bearer crs-b"}, "crs-a", id="x-api-key-first"),
        pytest.param({"authorization": basic("admin", "crs-c")}, "crs-c", id="basic-password"),
        pytest.param({"authorization": "Basic !!!"}, None, id="basic-garbage"),
        pytest.param({"authorization": "Token crs-d"}, None, id="other-scheme"),
        pytest.param({"authorization": "Bearer "}, None, id="empty-bearer"),
        pytest.param({}, None, id="nothing"),
    ],
)
def test_presented_key(headers: dict[str, str], expected: str | None) -> None:
    assert presented_key(headers) == expected


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        pytest.param("127.0.0.1", True, id="v4"),
        pytest.param("127.8.9.10", True, id="v4-range"),
        pytest.param("::1", True, id="v6"),
        pytest.param("[::1]", True, id="v6-brackets"),
        pytest.param("localhost", True, id="name"),
        pytest.param("0.0.0.0", False, id="any"),
        pytest.param("192.168.1.20", False, id="lan"),
        pytest.param("gateway.lan", False, id="other-name"),
        pytest.param(None, False, id="unknown"),
    ],
)
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_keys_are_compared_by_a_stable_digest() -> None:
    assert key_hash("crs-x") == key_hash("crs-x") != key_hash("crs-y")
    assert len(key_hash("crs-x")) == 64


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2026-12-31T23:59:00", 60, id="december-wraps-the-year"),
        pytest.param("2026-11-30T00:00:00", 86_400, id="november"),
        pytest.param("2027-02-28T12:00:00", 43_200, id="february"),
    ],
)
def test_a_key_budget_resets_at_the_next_utc_month(now: str, expected: float) -> None:
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC).timestamp()
    assert seconds_to_next_month(moment) == expected


@pytest.mark.parametrize(
    ("header", "name"),
    [
        pytest.param("localhost:8088", "localhost", id="name-port"),
        pytest.param("127.0.0.1", "127.0.0.1", id="address"),
        pytest.param("[::1]:8088", "::1", id="v6-port"),
        pytest.param("::1", "::1", id="v6-bare"),
        pytest.param("evil.example", "evil.example", id="foreign"),
    ],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name
