"""Responses stream events -> Anthropic stream events.

Each upstream event is read once (plain deltas without validation, see
:mod:`responses_event_reading`) and what it carries goes straight to the hooks of
:class:`OpenAIToAnthropicStream`, which owns the block rules (one ``message_start``, balanced
blocks, thinking before text before ``tool_use``, ``tool_use`` stop reason whenever a call was
made, tool-call repair, output filters). The result is what a chat client of this upstream would
see, made Anthropic events: the message id is the ``chatcmpl-`` id of the upstream response,
refusals are not shown, ``function_call`` items are tool calls numbered in order. Reasoning arrives
as thinking with an empty signature: synthesized, never sent on to Anthropic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

from coderouter_supervisor.worker.protocol import (
    AnthropicEvent,
    FunctionCallItem,
    OutputItemEvent,
    ResponseLifecycleEvent,
    UnknownResponsesEvent,
)
from coderouter_supervisor.worker.translate.ids import completion_id
from coderouter_supervisor.worker.translate.responses_event_reading import (
    ARGUMENTS_DELTA,
    REASONING_TEXT_DELTA,
    REFUSAL_DELTA,
    SKIPPED,
    SUMMARY_DELTA,
    TEXT_DELTA,
    Delta,
    plain_delta,
    read_upstream_event,
)
from coderouter_supervisor.worker.translate.responses_tools import flat_name
from coderouter_supervisor.worker.translate.responses_usage import usage_from_responses
from coderouter_supervisor.worker.translate.stream_openai_to_anthropic import (
    BlockKind,
    OpenAIToAnthropicStream,
)
from coderouter_supervisor.worker.translate.stream_responses_to_openai import FINISH_BY_INCOMPLETE
from coderouter_supervisor.worker.translate.text_filter import TextFilter
from coderouter_supervisor.worker.translate.usage import TokenUsage, UsageReport


class ResponsesToAnthropicStream(OpenAIToAnthropicStream):
    """Feed parsed Responses events (dicts), get Anthropic events; one instance per stream.

    ``input_tokens`` is the caller's estimate shown in ``message_start``. After :meth:`finish` or
    :meth:`finish_with_error` every call returns ``[]``. An upstream's ``response.failed`` or
    ``error`` raises the matching ``UpstreamError``.
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
        super().__init__(
            model=model,
            provider=provider,
            message_id=message_id,
            input_tokens=input_tokens,
            text_filter=text_filter,
            declared_tools=declared_tools,
        )
        self._response_id: str | None = None
        self._identified = False
        self._call_ordinals: dict[int, int] = {}  # output_index -> tool call number
        self._arguments_sent: set[int] = set()
        self._upstream_finish: str | None = None
        self._upstream_usage: TokenUsage | None = None
        self.skipped_events = 0

    @property
    def report(self) -> UsageReport:
        """The upstream reports usage once, with the completed response."""
        return UsageReport(self._upstream_usage, final=self._upstream_usage is not None)

    def feed(self, event: Mapping[str, Any]) -> list[AnthropicEvent]:
        """Events for one upstream event (often none)."""
        if self._finished:
            return []
        parsed = read_upstream_event(event, provider=self._provider)
        if parsed is SKIPPED:
            self.skipped_events += 1
            return []
        if isinstance(parsed, Delta):
            self._upstream_delta(parsed)
        elif isinstance(parsed, ResponseLifecycleEvent):
            return self._lifecycle(parsed)
        elif isinstance(parsed, OutputItemEvent) and isinstance(parsed.item, FunctionCallItem):
            self._function_call(parsed.output_index, parsed.item, done=parsed.type.endswith(".done"))
        elif isinstance(parsed, UnknownResponsesEvent):
            self._unknown_delta(parsed)
        return self._taken()

    def continued_delta(self, event: Mapping[str, Any]) -> tuple[BlockKind, int, str] | None:
        """For an upstream text, summary or argument delta in its plain form that only continues
        the open block: the block's kind and index and the text to add, counted as sent, for the
        caller to write as a ``content_block_delta``; None, with nothing changed, for every other
        event (give it to :meth:`feed`)."""
        delta = plain_delta(event)
        if delta is None:
            return None
        if delta.type == ARGUMENTS_DELTA:
            index = self._continued_call(delta.output_index, delta.delta)
            return None if index is None else ("tool_use", index, delta.delta)
        kind: Literal["thinking", "text"] = "text" if delta.type == TEXT_DELTA else "thinking"
        index = self.continued_block(kind, delta.delta)
        return None if index is None else (kind, index, delta.delta)

    def _continued_call(self, output_index: int, fragment: str) -> int | None:
        """:meth:`_call_arguments` for the open call's fragments, returning the block index."""
        ordinal = self._call_ordinals.get(output_index)
        if ordinal is None or not fragment or self._open_call != ordinal or self._open != "tool_use":
            return None
        if self._finished or ordinal not in self._calls:
            return None
        self._arguments_sent.add(output_index)
        self._emitted_chars += len(fragment)
        return self._next_index - 1

    def finish(self) -> list[AnthropicEvent]:
        """The closing events once the upstream ended."""
        if self._finished:
            return []
        return self._end()

    def _lifecycle(self, event: ResponseLifecycleEvent) -> list[AnthropicEvent]:
        response = event.response
        self._response_id = self._response_id or completion_id(response.id)
        self._model = response.model or self._model
        if event.type not in ("response.completed", "response.incomplete"):
            return []
        reason = response.incomplete_details.reason if response.incomplete_details else None
        self._upstream_finish = FINISH_BY_INCOMPLETE.get(reason or "", "stop")
        self._upstream_usage = usage_from_responses(response.usage) if response.usage else None
        return self._end()

    def _end(self) -> list[AnthropicEvent]:
        self._identify_once()
        self._finish_reason = self._upstream_finish or "stop"  # a tool call makes it tool_use
        # An upstream that ended without a completed response reported nothing: zero, not an estimate.
        self._reported = self._upstream_usage or TokenUsage()
        return super().finish()

    def _identify_once(self) -> None:
        """The message id, taken when the answer's first content (or its end) arrives."""
        if self._identified:
            return
        self._identified = True
        self._response_id = self._response_id or completion_id(None)
        self._identify(self._response_id, None)

    def _content(self, reasoning: str | None, text: str | None) -> None:
        if reasoning or text:
            self._identify_once()
            self._texts(reasoning, text)

    def _upstream_delta(self, delta: Delta) -> None:
        if delta.type == TEXT_DELTA:
            self._content(None, delta.delta)
        elif delta.type == SUMMARY_DELTA:
            self._content(delta.delta, None)
        else:
            self._call_arguments(delta.output_index, delta.delta)

    def _unknown_delta(self, event: UnknownResponsesEvent) -> None:
        delta = (event.model_extra or {}).get("delta")
        if not isinstance(delta, str):
            return
        if event.type == REASONING_TEXT_DELTA:
            self._content(delta, None)
        elif event.type == REFUSAL_DELTA and delta:
            self._identify_once()

    def _function_call(self, output_index: int, item: FunctionCallItem, *, done: bool) -> None:
        self._identify_once()
        if output_index not in self._call_ordinals:
            ordinal = len(self._call_ordinals)
            self._call_ordinals[output_index] = ordinal
            self._call_fragment(ordinal, item.call_id, flat_name(item.name, item.namespace), None)
        if done and output_index not in self._arguments_sent:
            self._call_arguments(output_index, item.arguments)

    def _call_arguments(self, output_index: int, fragment: str) -> None:
        ordinal = self._call_ordinals.get(output_index)
        if ordinal is None or not fragment:
            return
        self._arguments_sent.add(output_index)
        self._call_fragment(ordinal, None, "", fragment)
