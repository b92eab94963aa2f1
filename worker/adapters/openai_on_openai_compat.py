"""OpenAI clients served by an OpenAI-compatible upstream: passthrough, output filters applied.

Tool calls a model wrote as text become real calls when the request declared tools.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from coderouter_supervisor.worker.adapters.answer_reading import completion_as_answered
from coderouter_supervisor.worker.adapters.exchange import ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_client import OPENAI
from coderouter_supervisor.worker.adapters.openai_compat_upstream import (
    OPENAI_COMPAT_UPSTREAM,
    openai_messages_with_suffix,
)
from coderouter_supervisor.worker.adapters.openai_on_anthropic import include_usage
from coderouter_supervisor.worker.adapters.stream_checks import (
    ended_early,
    filter_chain_of,
    has_finish_reason,
)
from coderouter_supervisor.worker.adapters.upstream_kind import PROFILE_FIELD, with_extra_body
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.errors import GatewayError
from coderouter_supervisor.worker.money import is_priced
from coderouter_supervisor.worker.protocol import (
    DONE_FRAME,
    ChatCompletionRequest,
    CompletionUsage,
    encode_data,
    encode_data_text,
    upstream_error_from_stream_payload,
)
from coderouter_supervisor.worker.providers import ClientStream, ProviderCall, UpstreamEvent
from coderouter_supervisor.worker.translate import (
    NO_USAGE,
    UsageReport,
    openai_output_limit,
    usage_from_openai,
)

_HELD_FIELDS = frozenset({"max_tokens", "max_completion_tokens", "n"})  # what a budget hold is sized by


class OpenAIToOpenAIFrames:
    """OpenAI chunks passed through, with output filters applied to content deltas.

    The upstream is always asked for usage (cost needs it); a client that did not ask for it
    gets the chunks without it, as it would from the upstream directly.
    """

    ping_frame = OPENAI.ping_frame

    def __init__(self, provider: ProviderConfig, *, include_usage: bool) -> None:
        self._provider = provider.name
        self._include_usage = include_usage
        self._filter = filter_chain_of(provider)
        self._report = NO_USAGE
        self._started = False
        self._finished_choice = False
        self._last: dict[str, Any] = {}

    @property
    def started(self) -> bool:
        return self._started

    @property
    def report(self) -> UsageReport:
        return self._report

    def feed(self, event: UpstreamEvent) -> bytes:
        payload = event.payload
        error = upstream_error_from_stream_payload(payload, provider=self._provider)
        if error is not None:
            raise error
        self._last = payload
        usage = payload.get("usage")
        if isinstance(usage, dict):
            # Final only at the end of the answer: some servers report running usage in every chunk.
            final = self._finished_choice or has_finish_reason(payload) or payload.get("choices") == []
            with contextlib.suppress(ValidationError):  # odd usage from a server must not break the answer
                self._report = UsageReport(
                    usage_from_openai(CompletionUsage.model_validate(usage)), final=final
                )
        if not self._include_usage and "usage" in payload:
            payload = {key: value for key, value in payload.items() if key != "usage"}
            if not payload.get("choices"):
                return b""
        outgoing: dict[str, Any] | None = payload
        choices = payload.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            choice = choices[0]
            if choice.get("finish_reason"):
                self._finished_choice = True
            outgoing = self._filtered(payload, choice)
        if outgoing is None:
            return b""
        self._started = True
        if outgoing is event.payload and event.data:
            return encode_data_text(event.data)  # unchanged: the upstream's own text, not re-encoded
        return encode_data(outgoing)

    def _filtered(self, payload: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any] | None:
        delta = choice.get("delta")
        if self._filter is None or not isinstance(delta, dict) or not isinstance(delta.get("content"), str):
            return payload
        text = self._filter.feed(delta["content"])
        if choice.get("finish_reason"):
            text += self._filter.flush()
        if not text and len(delta) == 1 and not choice.get("finish_reason"):
            return None
        new_choice = {**choice, "delta": {**delta, "content": text}}
        return {**payload, "choices": [new_choice, *payload["choices"][1:]]}

    def finish(self, upstream_completed: bool) -> bytes:
        if not (upstream_completed or self._finished_choice):
            return self.fail(ended_early(self._provider))
        rest = self._filter.flush() if self._filter is not None else ""
        if not rest:
            return DONE_FRAME
        chunk = {
            "id": self._last.get("id"),
            "object": "chat.completion.chunk",
            "created": self._last.get("created"),
            "model": self._last.get("model"),
            "choices": [{"index": 0, "delta": {"content": rest}, "finish_reason": None}],
        }
        return encode_data(chunk) + DONE_FRAME

    def fail(self, error: GatewayError) -> bytes:
        return OPENAI.stream_error_frame(error)


class OpenAIOnOpenAICompat(ProtocolAdapter):
    client = OPENAI
    upstream = OPENAI_COMPAT_UPSTREAM
    passthrough = True

    def upstream_body(self, request: ChatCompletionRequest, call: ProviderCall) -> dict[str, Any]:
        """Passthrough: every field the client set reaches the upstream (response_format, seed, n, …).

        A priced provider is always sent an output limit, the one its budget hold reserved for
        (``openai_output_limit``): without one, a server writes until the model's own limit. A free
        one keeps its own default. ``extra_body`` cannot widen a priced provider's limit or ``n``.
        """
        body = request.to_wire()
        body.pop(PROFILE_FIELD, None)
        priced = is_priced(call.provider.cost)
        if priced and "max_tokens" not in body and "max_completion_tokens" not in body:
            body["max_tokens"] = openai_output_limit(request)
        body["model"] = call.provider.model
        body["messages"] = openai_messages_with_suffix(body["messages"], call.system_suffix)
        merged = with_extra_body(body, call.provider)
        if priced:  # what the hold covers comes from the request alone, never from extra_body
            for field in _HELD_FIELDS.difference(body):
                merged.pop(field, None)
        return merged

    def client_answer(
        self, payload: dict[str, Any], call: ProviderCall, request: ChatCompletionRequest, *, created: int
    ) -> dict[str, Any]:
        declared = frozenset(tool.function.name for tool in request.tools or [])
        return completion_as_answered(payload, call.provider, declared)

    def client_stream(
        self, call: ProviderCall, request: ChatCompletionRequest, *, input_tokens: int
    ) -> ClientStream:
        return OpenAIToOpenAIFrames(call.provider, include_usage=include_usage(request))


OPENAI_ON_OPENAI_COMPAT = OpenAIOnOpenAICompat()
