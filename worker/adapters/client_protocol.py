"""What the gateway needs to know about one client protocol (the wire format a request came in).

One module-level object per protocol implements :class:`ClientProtocol`; :mod:`..adapters` registers
them. Everything that differs between protocols on the client's side is here: the request model and
what budget holds read from it, the tool-use history the loop guard reads, where a loop hint goes,
the error envelope and stream error frame, the keepalive frame, and the shape of ``/v1/models``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.guards import ToolUse

ClientName = Literal["anthropic", "openai", "responses"]
"""Which client protocol a request speaks: the one name used for it everywhere."""


class ClientProtocol(Protocol):
    """One client protocol. Methods are pure; ``request`` is an instance of :attr:`request_model`."""

    @property
    def name(self) -> ClientName: ...

    @property
    def call_path(self) -> str:
        """The model-call path under ``/v1`` (``/messages``)."""

    @property
    def request_model(self) -> type[BaseModel]: ...

    @property
    def ping_frame(self) -> bytes:
        """A keepalive frame that carries no content."""

    @property
    def keeps_cache_markers(self) -> bool:
        """Whether the protocol's prompt-cache markers reach a priced upstream (for the cache trait)."""

    def requested_model(self, request: Any) -> str | None: ...

    def output_limit(self, request: Any) -> int:
        """The output limit (per choice) every attempt sends upstream, so what a budget hold reserves."""

    def choices(self, request: Any) -> int:
        """How many answers the request asks for."""

    def streaming(self, request: Any) -> bool: ...

    def stream_input_tokens(self, body: dict[str, Any]) -> int:
        """The input estimate a translated stream announces before the upstream reports one."""

    def tool_uses(self, body: Mapping[str, Any]) -> list[ToolUse]:
        """Every assistant tool call in the request ``body``, in history order (for the tool-loop guard)."""

    def with_loop_hint(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A new body whose system prompt ends with the tool-loop hint."""

    def error_body(self, error: GatewayError) -> tuple[dict[str, Any], int]:
        """``error`` as this protocol's error envelope, and the HTTP status to send it with."""

    def stream_error_frame(self, error: GatewayError) -> bytes:
        """``error`` as the event that ends a stream already under way."""

    def model_list(self, ids: Sequence[str]) -> dict[str, Any]:
        """The ``/v1/models`` answer listing ``ids``."""

    def model_object(self, model_id: str) -> dict[str, Any]:
        """One ``/v1/models/{id}`` object (the same as its entry in the list)."""
