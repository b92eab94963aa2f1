"""Reading one Anthropic stream event (a parsed JSON object) as its model.

Every event is validated as ``StreamEvent``. For the deltas that make up most of a stream this is
also the cheapest way to get their models: about 1.6 us for a text delta, where building the same
two models without validation (``model_construct``, pure Python in pydantic 2.x) took 4.2 us.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from coderouter_supervisor.worker.protocol import StreamEvent

_EVENT: TypeAdapter[Any] = TypeAdapter(StreamEvent)


def read_stream_event(event: Mapping[str, Any]) -> Any:
    """The model of ``event`` (one of ``StreamEvent``); raises ``ValidationError`` when it fits none."""
    return _EVENT.validate_python(event)
