"""What each client stream says the upstream reported about usage: nothing, partial, or final.

A report short of final is recorded at the budget bound, so calling partial usage final would
record too little (an Anthropic ``message_start``, or running usage some servers put in every chunk).
"""

from __future__ import annotations

from typing import Any

import pytest

from coderouter_supervisor.worker.adapters.anthropic_on_anthropic import AnthropicToAnthropicFrames
from coderouter_supervisor.worker.adapters.anthropic_on_openai_compat import OpenAIToAnthropicFrames
from coderouter_supervisor.worker.adapters.openai_on_anthropic import AnthropicToOpenAIFrames
from coderouter_supervisor.worker.adapters.openai_on_openai_compat import OpenAIToOpenAIFrames
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.providers import ClientStream, UpstreamEvent
from coderouter_supervisor.worker.translate import NO_USAGE, TokenUsage, UsageReport

OPENAI_KIND = ProviderConfig(name="o", base_url="http://o/v1", model="m")
ANTHROPIC_KIND = ProviderConfig(name="a", kind="anthropic", base_url="http://a", model="m")


def from_anthropic(ingress: str) -> ClientStream:
    if ingress == "anthropic":
        return AnthropicToAnthropicFrames(ANTHROPIC_KIND)
    return AnthropicToOpenAIFrames(ANTHROPIC_KIND, requested_model="m", include_usage=False)


def from_openai(ingress: str) -> ClientStream:
    if ingress == "anthropic":
        return OpenAIToAnthropicFrames(OPENAI_KIND, requested_model="m", input_tokens=5)
    return OpenAIToOpenAIFrames(OPENAI_KIND, include_usage=False)


MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": []}
ANTHROPIC_START = {
    "type": "message_start",
    "message": {**MESSAGE, "usage": {"input_tokens": 40, "output_tokens": 1}},
}
ANTHROPIC_TEXT = [
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}},
]
ANTHROPIC_DELTA = {
    "type": "message_delta",
    "delta": {"stop_reason": "end_turn"},
    "usage": {"output_tokens": 9},
}


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [choice], **extra}


RUNNING = {"prompt_tokens": 40, "completion_tokens": 2, "total_tokens": 42}
FINAL = {"prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49}


def feed(stream: ClientStream, payloads: list[dict[str, Any]]) -> UsageReport:
    for payload in payloads:
        stream.feed(
            UpstreamEvent(payload.get("type") if isinstance(payload.get("type"), str) else None, payload)
        )
    return stream.report


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_an_anthropic_start_reports_input_only(ingress: str) -> None:
    stream = from_anthropic(ingress)
    assert stream.report == NO_USAGE
    partial = feed(stream, [ANTHROPIC_START, *ANTHROPIC_TEXT])
    assert partial == UsageReport(TokenUsage(input_tokens=40, output_tokens=1))
    final = feed(stream, [ANTHROPIC_DELTA])
    assert final == UsageReport(TokenUsage(input_tokens=40, output_tokens=9), final=True)


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_an_anthropic_stream_without_usage_reports_nothing_final(ingress: str) -> None:
    start = {"type": "message_start", "message": MESSAGE}
    delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}
    report = feed(from_anthropic(ingress), [start, *ANTHROPIC_TEXT, delta, {"type": "message_stop"}])
    assert not report.final


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_openai_usage_is_final_only_once_the_answer_finished(ingress: str) -> None:
    stream = from_openai(ingress)
    running = feed(stream, [chunk({"role": "assistant", "content": "hi"}, usage=RUNNING)])
    assert running.usage is not None and not running.final
    finished = feed(
        stream,
        [chunk({}, "stop"), {"id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": FINAL}],
    )
    assert finished == UsageReport(TokenUsage(input_tokens=40, output_tokens=9), final=True)


@pytest.mark.parametrize("ingress", ["anthropic", "openai"])
def test_an_openai_stream_without_usage_reports_nothing(ingress: str) -> None:
    report = feed(from_openai(ingress), [chunk({"role": "assistant", "content": "hi"}), chunk({}, "stop")])
    assert report == NO_USAGE
