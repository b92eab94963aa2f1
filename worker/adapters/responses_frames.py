"""Responses events for the client from a translated upstream stream (chat chunks or Anthropic events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from coderouter_supervisor.worker.adapters.delta_frames import responses_delta_frame
from coderouter_supervisor.worker.adapters.event_frames import encode_named_events
from coderouter_supervisor.worker.adapters.responses_client import RESPONSES
from coderouter_supervisor.worker.adapters.stream_checks import ended_early, has_finish_reason
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    OutputItem,
    ReasoningItem,
    ResponseObject,
    ResponsesEvent,
    ResponsesRequest,
)
from coderouter_supervisor.worker.providers import UpstreamEvent
from coderouter_supervisor.worker.translate import ResponseEcho, ResponsesDelta, UsageReport


class ResponsesTranslator(Protocol):
    """What :class:`OpenAIToResponsesStream` and :class:`AnthropicToResponsesStream` share."""

    @property
    def started(self) -> bool: ...

    @property
    def report(self) -> UsageReport: ...

    def continued_delta(self, payload: Mapping[str, Any]) -> ResponsesDelta | None: ...

    def feed(self, payload: Mapping[str, Any]) -> list[ResponsesEvent]: ...

    def finish(self) -> list[ResponsesEvent]: ...

    def finish_with_error(self, error: GatewayError) -> list[ResponsesEvent]: ...


def response_echo(request: ResponsesRequest) -> ResponseEcho:
    """The request settings every ``response`` object repeats."""
    return ResponseEcho(
        parallel_tool_calls=request.parallel_tool_calls is not False,
        tool_choice=request.tool_choice if request.tool_choice is not None else "auto",
        tools=tuple(tool.to_wire() for tool in request.tools or []),
    )


ENCRYPTED_REASONING = "reasoning.encrypted_content"


def asks_encrypted_reasoning(request: ResponsesRequest) -> bool:
    """Whether the client asked for reasoning it can send back (``include``), as Codex does."""
    return ENCRYPTED_REASONING in (request.include or [])


def _seal_off(items: list[OutputItem]) -> None:
    for item in items:
        if isinstance(item, ReasoningItem):
            item.encrypted_content = None


def without_encrypted_reasoning(events: list[ResponsesEvent]) -> list[ResponsesEvent]:
    """``events`` with no reasoning item carrying ``encrypted_content`` (the client did not ask)."""
    for event in events:
        data = event.data
        response = data.get("response")
        items = response["output"] if response is not None else [data["item"]] if "item" in data else []
        for item in items:
            if item["type"] == "reasoning":
                item.pop("encrypted_content", None)
    return events


def echoed(response: ResponseObject, request: ResponsesRequest) -> dict[str, Any]:
    """``response`` on the wire, repeating ``request``'s settings; reasoning's encrypted content
    only when the request's ``include`` asks for it."""
    if not asks_encrypted_reasoning(request):
        _seal_off(response.output)
    echo = response_echo(request)
    response.parallel_tool_calls = echo.parallel_tool_calls
    response.tool_choice = echo.tool_choice
    response.tools = list(echo.tools)
    return response.to_wire()


class ResponsesFrames:
    """The client stream over a translator. An upstream that stops before its proper end (a finish
    reason, ``message_stop``) gets ``response.failed``: a cut stream is never a finished answer."""

    ping_frame = RESPONSES.ping_frame

    def __init__(self, translator: ResponsesTranslator, *, provider: str, encrypted_reasoning: bool) -> None:
        self._translator = translator
        self._encrypted_reasoning = encrypted_reasoning
        self._provider = provider
        self._ended = False
        self._closed = False

    @property
    def started(self) -> bool:
        return self._translator.started

    @property
    def report(self) -> UsageReport:
        return self._translator.report

    def feed(self, event: UpstreamEvent) -> bytes:
        payload = event.payload
        continued = self._translator.continued_delta(payload)
        if continued is not None:
            return responses_delta_frame(continued)
        if payload.get("type") == "message_stop" or has_finish_reason(payload):
            self._ended = True
        events = self._translator.feed(payload)
        if any(e.type in ("response.completed", "response.incomplete") for e in events):
            self._closed = True
        return self._encoded(events)

    def _encoded(self, events: list[ResponsesEvent]) -> bytes:
        return encode_named_events(
            events if self._encrypted_reasoning else without_encrypted_reasoning(events)
        )

    def finish(self, upstream_completed: bool) -> bytes:
        if self._closed:
            return b""
        if not (upstream_completed or self._ended):
            return self.fail(ended_early(self._provider))
        return self._encoded(self._translator.finish())

    def fail(self, error: GatewayError) -> bytes:
        return self._encoded(self._translator.finish_with_error(error))
