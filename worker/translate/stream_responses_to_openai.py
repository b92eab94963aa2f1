"""Responses stream events -> OpenAI chat completion chunks, as a pure state machine.

For chat clients of an ``openai_responses`` upstream. Output: a role chunk before the first
content; ``output_text`` deltas (and ``refusal`` deltas) as content; reasoning summary text and
raw reasoning text as ``reasoning_content``; each ``function_call`` item as a ``tool_calls``
entry (``index`` counting the calls, ``id`` the ``call_id``, name first, then argument
fragments; arguments that arrive only with ``output_item.done`` are sent then); one chunk with
the ``finish_reason`` (``tool_calls`` when a call was made, ``length`` for
``max_output_tokens``); a usage chunk when asked. The caller then writes ``data: [DONE]``.
An upstream's ``response.failed`` or ``error`` raises the matching ``UpstreamError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import (
    ChatCompletionChunk,
    ChoiceDelta,
    ChunkChoice,
    DeltaFunction,
    DeltaToolCall,
    FunctionCallItem,
    OpenAIErrorEnvelope,
    OutputItemEvent,
    ResponseLifecycleEvent,
    UnknownResponsesEvent,
    openai_error_envelope,
)
from coderouter_supervisor.worker.translate.chat_deltas import ChatDelta
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
from coderouter_supervisor.worker.translate.usage import TokenUsage, UsageReport, openai_usage

FINISH_BY_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}
"""The chat ``finish_reason`` of an incomplete response, by its ``incomplete_details.reason``."""


class ResponsesToOpenAIStream:
    """Feed parsed Responses events (dicts), get chat chunks; one instance per stream.

    ``created`` is the caller's clock (Unix seconds). After :meth:`finish` or
    :meth:`finish_with_error` every call returns ``[]``.
    """

    def __init__(
        self,
        *,
        model: str,
        created: int,
        provider: str,
        include_usage: bool,
        completion_id: str | None = None,
    ) -> None:
        self._model = model
        self._created = created
        self._provider = provider
        self._include_usage = include_usage
        self._id = completion_id
        self._started = False
        self._finished = False
        self._call_index: dict[int, int] = {}
        self._arguments_sent: set[int] = set()
        self._finish_reason: str | None = None
        self._usage: TokenUsage | None = None
        self.skipped_events = 0

    @property
    def started(self) -> bool:
        """Whether any chunk was produced (after that, failing over is no longer possible)."""
        return self._started

    @property
    def finished(self) -> bool:
        """Whether the upstream's response ended (or :meth:`finish` was called)."""
        return self._finished

    @property
    def usage(self) -> TokenUsage:
        return self._usage or TokenUsage()

    @property
    def report(self) -> UsageReport:
        """The upstream reports usage once, with the completed response."""
        return UsageReport(self._usage, final=self._usage is not None)

    def feed(self, event: Mapping[str, Any]) -> list[ChatCompletionChunk]:
        """Chunks for one upstream event (often none); raises ``UpstreamError`` for a failure."""
        if self._finished:
            return []
        parsed = read_upstream_event(event, provider=self._provider)
        if parsed is SKIPPED:
            self.skipped_events += 1
            return []
        if isinstance(parsed, Delta):
            return self._delta(parsed)
        if isinstance(parsed, ResponseLifecycleEvent):
            return self._lifecycle(parsed)
        if isinstance(parsed, OutputItemEvent) and isinstance(parsed.item, FunctionCallItem):
            return self._function_call(parsed.output_index, parsed.item, done=parsed.type.endswith(".done"))
        return self._unknown_delta(parsed) if isinstance(parsed, UnknownResponsesEvent) else []

    @property
    def chunk_identity(self) -> tuple[str, int, str]:
        """The ``id``, ``created`` and ``model`` the next chunk carries."""
        return self._completion_id(), self._created, self._model

    def continued_delta(self, event: Mapping[str, Any]) -> ChatDelta | None:
        """For an upstream text, summary or argument delta in its plain form once the role chunk
        went out: the one chunk it becomes, counted as sent, for the caller to write (with
        :attr:`chunk_identity`); None, with nothing changed, for every other event (give it to
        :meth:`feed`)."""
        if self._finished or not self._started:
            return None
        delta = plain_delta(event)
        if delta is None or not delta.delta:
            return None
        if delta.type == TEXT_DELTA:
            return ChatDelta("content", delta.delta)
        if delta.type == SUMMARY_DELTA:
            return ChatDelta("reasoning_content", delta.delta)
        ordinal = self._call_index.get(delta.output_index)
        if ordinal is None or delta.type != ARGUMENTS_DELTA:
            return None
        self._arguments_sent.add(delta.output_index)
        return ChatDelta("tool_calls", delta.delta, ordinal)

    def finish(self) -> list[ChatCompletionChunk]:
        """The finish chunk (and usage chunk) once the upstream ended; idempotent."""
        if self._finished:
            return []
        chunks = self._role()
        finish_reason = "tool_calls" if self._call_index else (self._finish_reason or "stop")
        chunks.append(self._chunk(ChoiceDelta(), finish_reason=finish_reason))
        if self._include_usage:
            usage = openai_usage(self.usage)
            chunks.append(
                ChatCompletionChunk(
                    id=self._completion_id(),
                    created=self._created,
                    model=self._model,
                    choices=[],
                    usage=usage,
                )
            )
        self._finished = True
        return chunks

    def finish_with_error(self, error: GatewayError) -> list[OpenAIErrorEnvelope]:
        """The error payload that ends a started stream; no ``[DONE]`` follows it."""
        if self._finished:
            return []
        self._finished = True
        return [openai_error_envelope(error)]

    def _lifecycle(self, event: ResponseLifecycleEvent) -> list[ChatCompletionChunk]:
        response = event.response
        self._id = self._id or completion_id(response.id)
        self._model = response.model or self._model
        if event.type in ("response.completed", "response.incomplete"):
            reason = response.incomplete_details.reason if response.incomplete_details else None
            self._finish_reason = FINISH_BY_INCOMPLETE.get(reason or "", "stop")
            self._usage = usage_from_responses(response.usage) if response.usage else None
            return self.finish()
        return []

    def _delta(self, delta: Delta) -> list[ChatCompletionChunk]:
        if delta.type == TEXT_DELTA:
            return self._content(ChoiceDelta(content=delta.delta))
        if delta.type == SUMMARY_DELTA:
            return self._content(ChoiceDelta(reasoning_content=delta.delta))
        return self._arguments(delta.output_index, delta.delta)

    def _unknown_delta(self, event: UnknownResponsesEvent) -> list[ChatCompletionChunk]:
        delta = (event.model_extra or {}).get("delta")
        if not isinstance(delta, str):
            return []
        # Raw reasoning (gpt-oss on vLLM, LM Studio) and refusals have their own event types.
        if event.type == REASONING_TEXT_DELTA:
            return self._content(ChoiceDelta(reasoning_content=delta))
        if event.type == REFUSAL_DELTA:
            return self._content(ChoiceDelta(refusal=delta))
        return []

    def _content(self, delta: ChoiceDelta) -> list[ChatCompletionChunk]:
        if not (delta.content or delta.reasoning_content or delta.refusal):
            return []
        chunks = self._role()
        chunks.append(self._chunk(delta))
        return chunks

    def _function_call(
        self, output_index: int, item: FunctionCallItem, *, done: bool
    ) -> list[ChatCompletionChunk]:
        chunks = self._role()
        if output_index not in self._call_index:
            ordinal = len(self._call_index)
            self._call_index[output_index] = ordinal
            name = flat_name(item.name, item.namespace)
            call = DeltaToolCall(
                index=ordinal,
                id=item.call_id,
                type="function",
                function=DeltaFunction(name=name, arguments=""),
            )
            chunks.append(self._chunk(ChoiceDelta(tool_calls=[call])))
        if done and output_index not in self._arguments_sent:
            chunks.extend(self._arguments(output_index, item.arguments))
        return chunks

    def _arguments(self, output_index: int, fragment: str) -> list[ChatCompletionChunk]:
        ordinal = self._call_index.get(output_index)
        if ordinal is None or not fragment:
            return []
        self._arguments_sent.add(output_index)
        call = DeltaToolCall(index=ordinal, function=DeltaFunction(arguments=fragment))
        return [self._chunk(ChoiceDelta(tool_calls=[call]))]

    def _role(self) -> list[ChatCompletionChunk]:
        if self._started:
            return []
        self._started = True
        return [self._chunk(ChoiceDelta(role="assistant", content=""))]

    def _chunk(self, delta: ChoiceDelta, *, finish_reason: str | None = None) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=self._completion_id(),
            created=self._created,
            model=self._model,
            choices=[ChunkChoice(index=0, delta=delta, finish_reason=finish_reason)],
        )

    def _completion_id(self) -> str:
        if self._id is None:
            self._id = completion_id(None)
        return self._id
