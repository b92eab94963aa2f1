"""A passthrough stream with no output filter forwards the upstream's event text, not a re-encoding."""

from __future__ import annotations

import json

from coderouter_supervisor.worker.adapters.anthropic_on_anthropic import AnthropicToAnthropicFrames
from coderouter_supervisor.worker.adapters.openai_on_openai_compat import OpenAIToOpenAIFrames
from coderouter_supervisor.worker.config import ProviderConfig
from coderouter_supervisor.worker.providers import UpstreamEvent

# Spaced and key-ordered as an upstream may send it; a re-encoding would come out compact.
ANTHROPIC_DELTA = '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hé"}}'
OPENAI_CHUNK = (
    '{"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "hé"}}]}'
)


def _event(name: str | None, data: str) -> UpstreamEvent:
    return UpstreamEvent(name, json.loads(data), data)


def test_an_anthropic_passthrough_forwards_the_event_text() -> None:
    stream = AnthropicToAnthropicFrames(
        ProviderConfig(name="a", kind="anthropic", base_url="http://a", model="m")
    )
    frames = stream.feed(_event("content_block_delta", ANTHROPIC_DELTA))
    assert frames == f"event: content_block_delta\ndata: {ANTHROPIC_DELTA}\n\n".encode()


def test_an_openai_passthrough_forwards_the_chunk_text() -> None:
    stream = OpenAIToOpenAIFrames(
        ProviderConfig(name="o", base_url="http://o/v1", model="m"), include_usage=True
    )
    assert stream.feed(_event(None, OPENAI_CHUNK)) == f"data: {OPENAI_CHUNK}\n\n".encode()


def test_an_output_filter_still_rewrites_the_text() -> None:
    provider = ProviderConfig(
        name="a", kind="anthropic", base_url="http://a", model="m", output_filters=["strip_thinking"]
    )
    frames = AnthropicToAnthropicFrames(provider).feed(_event("content_block_delta", ANTHROPIC_DELTA))
    assert ANTHROPIC_DELTA.encode() not in frames
    assert b'"text":"h' in frames
