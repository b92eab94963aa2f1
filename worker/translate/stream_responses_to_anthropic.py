"""Responses stream events -> Anthropic stream events.

Events are first made chat chunks by :class:`ResponsesToOpenAIStream`; those become Anthropic
events in :class:`OpenAIToAnthropicStream`, which owns the block rules (one ``message_start``,
balanced blocks, thinking before text before ``tool_use``, ``tool_use`` stop reason whenever a
call was made, tool-call repair, output filters). Reasoning arrives as thinking with an empty
signature: synthesized, never sent on to Anthropic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import AnthropicEvent
from coderouter_supervisor.worker.translate.stream_openai_to_anthropic import OpenAIToAnthropicStream
from coderouter_supervisor.worker.translate.stream_responses_to_openai import ResponsesToOpenAIStream
from coderouter_supervisor.worker.translate.text_filter import TextFilter
from coderouter_supervisor.worker.translate.usage import TokenUsage, UsageReport


class ResponsesToAnthropicStream:
    """Feed parsed Responses events (dicts), get Anthropic events; one instance per stream.

    ``input_tokens`` is the caller's estimate shown in ``message_start``. After :meth:`finish` or
    :meth:`finish_with_error` every call returns ``[]``.
    """

    def __init__(
        self,
        *,
        model: str,
        provider: str,
        message_id: str | None = None,
        input_tokens: int = 0,
        text_filter: TextFilter | None = None,
        declared_tools: Collection[str] = (),
    ) -> None:
        # ``created`` only stamps the intermediate chunks, which never leave this object.
        self._chunks = ResponsesToOpenAIStream(model=model, created=0, provider=provider, include_usage=True)
        self._events = OpenAIToAnthropicStream(
            model=model,
            provider=provider,
            message_id=message_id,
            input_tokens=input_tokens,
            text_filter=text_filter,
            declared_tools=declared_tools,
        )

    @property
    def started(self) -> bool:
        return self._events.started

    @property
    def usage(self) -> TokenUsage:
        return self._events.usage

    @property
    def report(self) -> UsageReport:
        return self._chunks.report

    def feed(self, event: Mapping[str, Any]) -> list[AnthropicEvent]:
        """Events for one upstream event; raises ``UpstreamError`` for a failure report."""
        events: list[AnthropicEvent] = []
        for chunk in self._chunks.feed(event):
            events.extend(self._events.feed(chunk.to_wire()))
        if self._chunks.finished:
            events.extend(self._events.finish())
        return events

    def finish(self) -> list[AnthropicEvent]:
        """The closing events once the upstream ended."""
        events: list[AnthropicEvent] = []
        for chunk in self._chunks.finish():
            events.extend(self._events.feed(chunk.to_wire()))
        events.extend(self._events.finish())
        return events

    def finish_with_error(self, error: GatewayError) -> list[AnthropicEvent]:
        self._chunks.finish_with_error(error)
        return self._events.finish_with_error(error)
