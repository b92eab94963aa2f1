"""What the official ``openai`` SDK makes of a Responses event stream the gateway writes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import openai
from openai._models import construct_type
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import Response, ResponseStreamEvent

from coderouter_supervisor.worker.protocol import ResponsesEvent, SSEDecoder, encode_event


def sdk_final_response(events: Sequence[ResponsesEvent]) -> Response:
    """The Response ``client.responses.stream(...)`` accumulates from the SSE frames of ``events``.

    Raises (as the SDK does) on an event for an item it was not told about, an item whose identity
    changes between ``added`` and ``done``, or a stream without ``response.completed``.
    """
    body = b"".join(encode_event(event.type, event.to_wire()) for event in events)
    state: ResponseStreamState[Any] = ResponseStreamState(input_tools=openai.omit, text_format=openai.omit)
    final = None
    for frame in SSEDecoder().feed(body):
        # As the SDK's Stream builds events from each frame's JSON.
        parsed = construct_type(type_=ResponseStreamEvent, value=json.loads(frame.data))
        for emitted in state.handle_event(parsed):
            if emitted.type == "response.completed":
                final = emitted.response
    if final is None:
        raise AssertionError("the stream has no response.completed")
    return final
