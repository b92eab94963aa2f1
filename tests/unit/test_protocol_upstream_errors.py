from __future__ import annotations

import json

import pytest

from coderouter_supervisor.worker.errors import (
    ContextOverflow,
    MidStreamFailure,
    UpstreamHTTPError,
    UpstreamOutOfMemory,
)
from coderouter_supervisor.worker.protocol import (
    extract_error_message,
    looks_like_out_of_memory,
    parse_context_overflow,
    upstream_error_from_response,
    upstream_error_from_stream_payload,
)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("prompt is too long: 208423 tokens > 200000 maximum", (208423, 200000), id="anthropic"),
        pytest.param(
            "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input",
            (209573, 200000),
            id="anthropic-with-max-tokens",
        ),
        pytest.param(
            "This model's maximum context length is 4097 tokens. However, you requested 4128 tokens "
            "(4000 in the messages, 128 in the completion). Please reduce the length of the messages.",
            (4128, 4097),
            id="openai",
        ),
        pytest.param(
            "This model's maximum context length is 8192 tokens. "
            "However, your messages resulted in 9001 tokens.",
            (9001, 8192),
            id="openai-messages",
        ),
        pytest.param(
            "This endpoint's maximum context length is 131,072 tokens. "
            "However, you requested about 140,000 tokens",
            (140000, 131072),
            id="openrouter",
        ),
        pytest.param(
            "You passed 1015 input tokens and requested 10 output tokens. "
            "However, the model's context length is only 1024 tokens, "
            "resulting in a maximum input length of 1014 tokens.",
            (1025, 1024),
            id="vllm",
        ),
        pytest.param(
            "The decoder prompt (length 5000) is longer than the maximum model length of 4096.",
            (5000, 4096),
            id="vllm-old",
        ),
        pytest.param(
            "request (13392 tokens) exceeds the available context size (8192 tokens), try increasing it",
            (13392, 8192),
            id="llama.cpp",
        ),
        pytest.param(
            "the request exceeds the available context size, try increasing it",
            (None, None),
            id="llama.cpp-old",
        ),
        pytest.param(
            "Trying to keep the first 5000 tokens when context the overflows. However, the model is loaded "
            "with context length of 4096 tokens, which is not enough.",
            (5000, 4096),
            id="lmstudio-keep",
        ),
        pytest.param(
            "The number of tokens to keep from the initial prompt is greater than the context length.",
            (None, None),
            id="lmstudio-stream",
        ),
        pytest.param("input length exceeds maximum context length", (None, None), id="ollama"),
        pytest.param("model 'x' not found, try pulling it first", None, id="not-overflow"),
        pytest.param("server busy, please try again.", None, id="busy"),
    ],
)
def test_parse_context_overflow(message: str, expected: tuple[int | None, int | None] | None) -> None:
    assert parse_context_overflow(message) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("cudaMalloc failed: out of memory", True, id="cuda"),
        pytest.param("llama-server reported out-of-memory during startup", True, id="hyphenated"),
        pytest.param(
            "model requires more system memory (12 GiB) than is available (8 GiB)", True, id="ollama-old"
        ),
        pytest.param(
            "Model loading was stopped due to insufficient system resources. Under the current settings",
            True,
            id="lmstudio",
        ),
        pytest.param("CUDA error: OOM when allocating", True, id="oom-word"),
        pytest.param("model 'zoom-llm' not found", False, id="zoom-is-not-oom"),
        pytest.param("failed to load model: no such file", False, id="load-failure-is-not-oom"),
    ],
)
def test_looks_like_out_of_memory(message: str, expected: bool) -> None:
    assert looks_like_out_of_memory(message) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({"error": {"message": "m1", "type": "t"}}, "m1", id="openai"),
        pytest.param({"type": "error", "error": {"type": "x", "message": "m2"}}, "m2", id="anthropic"),
        pytest.param(b'{"error": "m3"}', "m3", id="ollama-native-bytes"),
        pytest.param('{"detail": "m4"}', "m4", id="fastapi"),
        pytest.param({"message": "m5"}, "m5", id="bare-message"),
        pytest.param(b"<html>502 Bad Gateway</html>\n", "<html>502 Bad Gateway</html>", id="not-json"),
        pytest.param({"weird": 1}, '{"weird": 1}', id="unknown-shape"),
        pytest.param(None, "", id="none"),
    ],
)
def test_extract_error_message(body: object, expected: str) -> None:
    assert extract_error_message(body) == expected  # type: ignore[arg-type]


def test_llama_cpp_overflow_from_response_fields() -> None:
    body = json.dumps(
        {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": 13392,
                "n_ctx": 8192,
            }
        }
    )
    error = upstream_error_from_response(400, body, provider="llama")
    assert isinstance(error, ContextOverflow)
    assert (error.tokens, error.maximum, error.provider) == (13392, 8192, "llama")


def test_openai_overflow_code_without_recognised_wording() -> None:
    body = {"error": {"message": "Too many tokens.", "code": "context_length_exceeded"}}
    error = upstream_error_from_response(400, body, provider="oai")
    assert isinstance(error, ContextOverflow)
    assert (error.tokens, error.maximum) == (None, None)


def test_response_classification() -> None:
    oom = upstream_error_from_response(500, {"error": "cudaMalloc failed: out of memory"}, provider="o")
    assert isinstance(oom, UpstreamOutOfMemory)
    plain = upstream_error_from_response(429, b"", provider="o", retry_after=5)
    assert isinstance(plain, UpstreamHTTPError)
    assert (plain.message, plain.retry_after, plain.status) == ("upstream answered HTTP 429", 5, 429)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param({"choices": [{"delta": {"content": "x"}}]}, None, id="ordinary-chunk"),
        pytest.param({"type": "content_block_stop", "index": 0}, None, id="ordinary-event"),
        pytest.param(
            {
                "error": {
                    "message": "The number of tokens to keep from the initial prompt is greater than the "
                    "context length."
                }
            },
            ContextOverflow,
            id="lmstudio-overflow",
        ),
        pytest.param(
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            MidStreamFailure,
            id="anthropic-error-event",
        ),
        pytest.param({"error": "out of memory"}, UpstreamOutOfMemory, id="oom"),
    ],
)
def test_stream_payload_errors(payload: dict[str, object], expected: type | None) -> None:
    error = upstream_error_from_stream_payload(payload, provider="p")
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected
