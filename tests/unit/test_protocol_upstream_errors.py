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
        # Ollama's classifier words and the messages it surfaces.
        pytest.param("ggml_vulkan: out of device memory", True, id="ollama-device-memory"),
        pytest.param("hipMalloc failed: hipErrorOutOfMemory", True, id="ollama-rocm"),
        pytest.param("allocation failed for tensor", True, id="ollama-allocation-failed"),
        pytest.param("not enough memory to load the model", True, id="ollama-not-enough"),
        pytest.param("insufficient memory for KV cache", True, id="ollama-insufficient"),
        pytest.param("vk::Queue::submit: ErrorDeviceLost VK_ERROR_OUT_OF_DEVICE_MEMORY", True, id="vulkan"),
        pytest.param("vk::Device::allocateMemory: ErrorOutOfDeviceMemory", True, id="vulkan-hpp"),
        pytest.param("vkAllocateMemory: VK_ERROR_OUT_OF_HOST_MEMORY", True, id="vulkan-host"),
        pytest.param(
            "model runner has unexpectedly stopped, this may be due to resource limitations or an "
            "internal error, check ollama server logs for details",
            True,
            id="ollama-runner-stopped",
        ),
        pytest.param("memory layout cannot be allocated with num_gpu = 48", True, id="ollama-layout"),
        pytest.param(
            "llama runner process has terminated: error loading model: unable to allocate CUDA0 buffer",
            True,
            id="ollama-llama-unable-to-allocate",
        ),
        # LM Studio.
        pytest.param(
            "Model loading aborted due to insufficient system resources. Overloading the system will likely "
            "cause it to freeze.",
            True,
            id="lmstudio-aborted",
        ),
        # llama.cpp / ggml.
        pytest.param(
            "alloc_tensor_range: failed to allocate CUDA0 buffer of size 5064192000", True, id="ggml-alloc"
        ),
        pytest.param(
            "ggml_metal_graph_compute: command buffer 0 failed with status 5\n"
            "error: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)",
            True,
            id="metal",
        ),
        # vLLM / PyTorch / CUDA.
        pytest.param(
            "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", True, id="torch-cuda"
        ),
        pytest.param(
            "No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when "
            "initializing the engine.",
            True,
            id="vllm-cache-blocks",
        ),
        pytest.param(
            "CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`", True, id="cublas"
        ),
        pytest.param("MPS backend out of memory (MPS allocated: 17.00 GB)", True, id="mps"),
        pytest.param("[Errno 12] Cannot allocate memory", True, id="enomem"),
        pytest.param("container was OOMKilled", True, id="oomkilled"),
        # Words that contain the short ones, and failures that are not about memory.
        pytest.param("model 'zoom-llm' not found", False, id="zoom-is-not-oom"),
        pytest.param("upstream bloom is unavailable", False, id="bloom-is-not-oom"),
        pytest.param("no room left in queue", False, id="room-is-not-oom"),
        pytest.param("invalid layout of memory-mapped file", False, id="layout-is-not-out"),
        pytest.param("failed to load model: no such file", False, id="load-failure-is-not-oom"),
        pytest.param('model "qwen3:8b" not found, try pulling it first', False, id="ollama-404"),
        pytest.param(
            "server busy, please try again.  maximum pending requests exceeded", False, id="ollama-busy"
        ),
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


def test_not_found_is_not_out_of_memory() -> None:
    body = {
        "error": {"message": "model 'zoom-llm' not found, failed to load model", "type": "not_found_error"}
    }
    error = upstream_error_from_response(404, body, provider="zoom-llm")
    assert isinstance(error, UpstreamHTTPError)
    assert error.upstream_status == 404


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
