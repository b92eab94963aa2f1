"""A request keeps the Gateway current when it first asked, across an in-place reload."""

from __future__ import annotations

from typing import Any, cast

from starlette.requests import Request

from coderouter_supervisor.worker.ingress.gateway import Gateway, GatewaySlot, gateway_of


def _request(slot: GatewaySlot) -> Request:
    # As uvicorn hands each request a shallow copy of the lifespan state.
    scope: dict[str, Any] = {"type": "http", "headers": [], "state": {"gateway_slot": slot}}
    return Request(scope)


def test_a_request_keeps_its_gateway_when_the_slot_changes() -> None:
    old, new = cast(Gateway, object()), cast(Gateway, object())
    slot = GatewaySlot()
    slot.current = old
    running = _request(slot)
    assert gateway_of(running) is old
    slot.current = new
    assert gateway_of(running) is old
    assert gateway_of(_request(slot)) is new


def test_the_pinned_gateway_is_visible_as_request_state() -> None:
    slot = GatewaySlot()
    slot.current = cast(Gateway, object())
    request = _request(slot)
    pinned = gateway_of(request)
    assert request.state.gateway is pinned
