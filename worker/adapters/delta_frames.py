"""SSE frames of the per-token deltas written from templates: only the delta text is JSON-escaped.

A text, thinking or argument delta is most of a translated stream. Its frame is the frame
:mod:`event_frames` writes for the event model (``encode_named_events``, ``encode_chunks``), byte
for byte, without building the model or walking its fields: the JSON around the text is fixed, and
``encode_basestring`` is the string function the JSON encoder itself uses
(``tests/unit/test_translated_stream_bytes.py`` pins the bytes). Escaped JSON holds no line break,
so the frame is one ``data:`` line.
"""

from __future__ import annotations

from json.encoder import encode_basestring

from coderouter_supervisor.worker.protocol import json_text_bytes
from coderouter_supervisor.worker.translate import BlockKind, ChatDelta, ResponsesDelta

# Per block kind: what precedes the block index, and what goes between the index and the text.
_ANTHROPIC_DELTA_HEAD = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_ANTHROPIC_DELTA_TYPE: dict[BlockKind, str] = {
    "text": ',"delta":{"type":"text_delta","text":',
    "thinking": ',"delta":{"type":"thinking_delta","thinking":',
    "tool_use": ',"delta":{"type":"input_json_delta","partial_json":',
}


def _frame(head: str, text: str, tail: str) -> bytes:
    return json_text_bytes(f"{head}{encode_basestring(text)}{tail}")


_ANTHROPIC_TAIL = "}}\n\n"
_CHAT_TAIL = '},"finish_reason":null}]}\n\n'
_CHAT_ARGUMENTS_TAIL = '}}]},"finish_reason":null}]}\n\n'


def anthropic_delta_frame(kind: BlockKind, index: int, text: str) -> bytes:
    """The ``content_block_delta`` frame adding ``text`` to block ``index`` of ``kind``."""
    return _frame(f"{_ANTHROPIC_DELTA_HEAD}{index}{_ANTHROPIC_DELTA_TYPE[kind]}", text, _ANTHROPIC_TAIL)


def _chat_chunk_head(completion_id: str, created: int, model: str) -> str:
    return (
        f'data: {{"id":{encode_basestring(completion_id)},"object":"chat.completion.chunk",'
        f'"created":{created},"model":{encode_basestring(model)},"choices":[{{"index":0,"delta":{{'
    )


class ChatDeltaFrames:
    """Chat delta chunks of one stream; the JSON before the delta is rebuilt only when the
    stream's ``id``, ``created`` or ``model`` changes (an upstream may name its model late)."""

    def __init__(self) -> None:
        self._identity: tuple[str, int, str] | None = None
        self._head = ""

    def frame(self, identity: tuple[str, int, str], delta: ChatDelta) -> bytes:
        """The ``data:`` frame of ``delta`` in a chunk carrying ``identity`` (id, created, model)."""
        if identity != self._identity:
            self._identity, self._head = identity, _chat_chunk_head(*identity)
        if delta.field == "tool_calls":
            head = f'{self._head}"tool_calls":[{{"index":{delta.call_index},"function":{{"arguments":'
            return _frame(head, delta.text, _CHAT_ARGUMENTS_TAIL)
        return _frame(f'{self._head}"{delta.field}":', delta.text, _CHAT_TAIL)


# Per item kind: the event's name and type, and what follows ``output_index`` up to the delta.
_RESPONSES_DELTA = {
    "message": ("response.output_text.delta", ',"content_index":0,"delta":', ',"logprobs":[]}\n\n'),
    "reasoning": ("response.reasoning_summary_text.delta", ',"summary_index":0,"delta":', "}\n\n"),
    "function_call": ("response.function_call_arguments.delta", ',"delta":', "}\n\n"),
}


def responses_delta_frame(delta: ResponsesDelta) -> bytes:
    """The delta event of ``delta``'s item kind, named by its type."""
    name, before, tail = _RESPONSES_DELTA[delta.kind]
    head = (
        f'event: {name}\ndata: {{"type":"{name}","sequence_number":{delta.sequence_number},'
        f'"item_id":{encode_basestring(delta.item_id)},"output_index":{delta.output_index}{before}'
    )
    return _frame(head, delta.delta, tail)
