"""OpenAI chat completion chunks -> Responses events, directly.

:class:`ChatStreamReader` parses each chunk once (absorbing the upstream quirks, repairing tool
calls written as text, applying output filters); what it reads goes straight to a
:class:`ResponsesEventWriter`: reasoning -> a ``reasoning`` item (summary only: chat reasoning is
unsigned), text -> a ``message`` item, a tool call -> a ``function_call`` item named back to the
client's namespace and name. Nothing is emitted before the first content (or the end), so a
failure before it can still move to another provider. The usage reported at the end is the
upstream's own, reasoning tokens included (``usage: null`` when it sent none).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.protocol import ResponsesEvent
from coderouter_supervisor.worker.translate.chat_stream_reader import ChatStreamReader
from coderouter_supervisor.worker.translate.ids import anthropic_message_id, tool_use_id
from coderouter_supervisor.worker.translate.responses_event_writer import ResponseEcho, ResponsesEventWriter
from coderouter_supervisor.worker.translate.responses_ids import ItemKind, response_id
from coderouter_supervisor.worker.translate.responses_item_events import ResponsesDelta
from coderouter_supervisor.worker.translate.responses_tools import ToolNames
from coderouter_supervisor.worker.translate.stop_reasons import stop_reason_from_finish
from coderouter_supervisor.worker.translate.stream_anthropic_to_responses import incomplete_reason
from coderouter_supervisor.worker.translate.text_filter import TextFilter

_ITEM_KIND: dict[str, ItemKind] = {"thinking": "reasoning", "text": "message", "tool_use": "function_call"}


class OpenAIToResponsesStream(ChatStreamReader[ResponsesEvent]):
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
        super().__init__(
            model=model,
            provider=provider,
            input_tokens=input_tokens,
            text_filter=text_filter,
            declared_tools=declared_tools,
        )
        self._requested_model = model
        self._created_at = created_at
        self._names = tool_names or ToolNames()
        self._echo = echo
        self._response_id = response_id
        self._writer: ResponsesEventWriter | None = None

    @property
    def started(self) -> bool:
        """Whether any event was produced (after that, failing over is no longer possible)."""
        return self._writer is not None and self._writer.started

    def _start(self) -> None:
        # The response takes the upstream's id and model as they stand when the answer begins.
        if self._writer is None:
            self._writer = self._new_writer(
                self._response_id or anthropic_message_id(self._message_id), self._model
            )

    def _new_writer(self, upstream_id: str | None, model: str) -> ResponsesEventWriter:
        return ResponsesEventWriter(
            response_id=response_id(upstream_id), model=model, created_at=self._created_at, echo=self._echo
        )

    def _started_writer(self) -> ResponsesEventWriter:
        self._start()
        assert self._writer is not None
        return self._writer

    def continued_delta(self, chunk: Mapping[str, Any]) -> ResponsesDelta | None:
        """For an upstream chunk whose one text only continues the open item: its delta event's
        facts, counted as sent, for the caller to write; None, with nothing changed, for every other
        chunk (give it to :meth:`feed`)."""
        if self._writer is None:
            return None
        piece: tuple[str, str] | None = self._direct_piece(chunk)
        if piece is None:
            arguments = self._direct_arguments(chunk)
            piece = None if arguments is None else ("tool_use", arguments)
        if piece is None:
            return None
        continued = self._writer.continued(_ITEM_KIND[piece[0]], piece[1])
        if continued is not None:
            self._took_directly(chunk, piece[1])
        return continued

    def _thinking_delta(self, text: str) -> None:
        self._out += self._started_writer().reasoning(text)

    def _text_delta(self, text: str) -> None:
        self._out += self._started_writer().text(text)

    def _open_call_item(self, upstream_id: str | None, name: str) -> None:
        declared = self._names.client_name(name)
        self._out += self._started_writer().function_call(
            tool_use_id(upstream_id), declared.name, declared.namespace
        )

    def _arguments_delta(self, arguments: str) -> None:
        self._out += self._started_writer().arguments(arguments)

    def _close_answer(self, finish_reason: str | None, *, emitted_tool_use: bool) -> None:
        stop_reason = stop_reason_from_finish(finish_reason, emitted_tool_use=emitted_tool_use)
        self._out += self._started_writer().complete(self._reported, incomplete_reason(stop_reason))

    def _failed(self, error: GatewayError) -> list[ResponsesEvent]:
        # Failing before any content: no upstream id or model was taken yet.
        if self._writer is None:
            self._writer = self._new_writer(self._response_id, self._requested_model)
        return self._writer.fail(error)
