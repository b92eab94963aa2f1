"""OpenAI chat completion chunks -> Responses events.

Chunks are first made Anthropic events by :class:`OpenAIToAnthropicStream`, which already
absorbs the upstream quirks (missing ids, usage in a trailing chunk, interleaved tool calls,
text after tool calls), repairs tool calls written as text and applies output filters; those
events become Responses items in :class:`AnthropicToResponsesStream`. The usage reported at the
end is the chunk's own, reasoning tokens included.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import MessageStopEvent, ResponsesEvent
from coderouter_supervisor.worker.translate.responses_event_writer import ResponseEcho
from coderouter_supervisor.worker.translate.responses_tools import ToolNames
from coderouter_supervisor.worker.translate.stream_anthropic_to_responses import AnthropicToResponsesStream
from coderouter_supervisor.worker.translate.stream_openai_to_anthropic import OpenAIToAnthropicStream
from coderouter_supervisor.worker.translate.text_filter import TextFilter
from coderouter_supervisor.worker.translate.usage import TokenUsage, UsageReport


class OpenAIToResponsesStream:
    """Feed parsed OpenAI chunks (dicts), get Responses events; one instance per stream.

    ``input_tokens`` is the caller's estimate, used only until the upstream reports usage.
    ``declared_tools`` are the flat tool names sent upstream (for tool-call repair).
    After :meth:`finish` or :meth:`finish_with_error` every call returns ``[]``.
    """

    def __init__(
        self,
        *,
        model: str,
        provider: str,
        created_at: int,
        tool_names: ToolNames | None = None,
        echo: ResponseEcho | None = None,
        response_id: str | None = None,
        input_tokens: int = 0,
        text_filter: TextFilter | None = None,
        declared_tools: Collection[str] = (),
    ) -> None:
        self._chunks = OpenAIToAnthropicStream(
            model=model,
            provider=provider,
            input_tokens=input_tokens,
            text_filter=text_filter,
            declared_tools=declared_tools,
        )
        self._events = AnthropicToResponsesStream(
            model=model,
            provider=provider,
            created_at=created_at,
            tool_names=tool_names,
            echo=echo,
            response_id=response_id,
        )

    @property
    def started(self) -> bool:
        return self._events.started

    @property
    def usage(self) -> TokenUsage:
        """The upstream's report when it sent one, else an estimate (see ``OpenAIToAnthropicStream``)."""
        return self._chunks.usage

    @property
    def report(self) -> UsageReport:
        return self._chunks.report

    @property
    def repaired_calls(self) -> int:
        return self._chunks.repaired_calls

    def feed(self, chunk: Mapping[str, Any]) -> list[ResponsesEvent]:
        """Events for one upstream chunk; raises ``UpstreamError`` for an error report."""
        events: list[ResponsesEvent] = []
        for event in self._chunks.feed(chunk):
            events.extend(self._events.feed(event.to_wire()))
        return events

    def finish(self) -> list[ResponsesEvent]:
        """The closing events once the upstream ended (``[DONE]`` or end of body)."""
        events: list[ResponsesEvent] = []
        for event in self._chunks.finish():
            if not isinstance(event, MessageStopEvent):
                events.extend(self._events.feed(event.to_wire()))
        events.extend(self._events.finish_with_usage(self._chunks.report.usage))
        return events

    def finish_with_error(self, error: GatewayError) -> list[ResponsesEvent]:
        self._chunks.finish_with_error(error)
        return self._events.finish_with_error(error)
