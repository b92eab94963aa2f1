"""Read an upstream's error answer: its message, context overflow, out-of-memory.

Pure: provider adapters hand in the status and body they received and get one typed
:class:`UpstreamError` back. The wordings recognised here are the ones each backend
actually sends (OpenAI, OpenRouter, vLLM, llama.cpp, LM Studio, Ollama, Anthropic).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from coderouter_supervisor.worker.errors import (
    ContextOverflow,
    MidStreamFailure,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamOutOfMemory,
)

_INT = r"(\d[\d,]*)"

# (pattern, how to read tokens and maximum from its groups); first match wins.
_OVERFLOW_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Anthropic itself.
    (re.compile(rf"prompt is too long: {_INT} tokens > {_INT} maximum", re.I), "tokens,max"),
    (re.compile(rf"exceed context limit: {_INT} \+ {_INT} > {_INT}", re.I), "sum2,max3"),
    # vLLM >= 0.16: "You passed 1015 input tokens and requested 10 output tokens. However, the
    # model's context length is only 1024 tokens".
    (
        re.compile(
            rf"passed {_INT} input tokens and requested {_INT} output tokens.*?"
            rf"context length is only {_INT}",
            re.I | re.S,
        ),
        "sum2,max3",
    ),
    # OpenAI, OpenRouter, older vLLM: "maximum context length is 4097 tokens. However, you
    # requested 4128 tokens" / "your messages resulted in 5000 tokens".
    (
        re.compile(
            rf"maximum context length is {_INT} tokens.*?"
            rf"(?:requested|resulted in)(?: about)? {_INT} tokens",
            re.I | re.S,
        ),
        "max1,tokens2",
    ),
    # llama.cpp: "request (13392 tokens) exceeds the available context size (8192 tokens)".
    (
        re.compile(rf"request \({_INT} tokens\) exceeds the available context size \({_INT} tokens\)", re.I),
        "tokens,max",
    ),
    # LM Studio: "Trying to keep the first 5000 tokens ... context length of 4096 tokens".
    (
        re.compile(rf"keep the first {_INT} tokens.*?context length of (?:only )?{_INT} tokens", re.I | re.S),
        "tokens,max",
    ),
    # vLLM (older): "The decoder prompt (length 5000) is longer than the maximum model length of 4096".
    (
        re.compile(rf"prompt \(length {_INT}\) is longer than the maximum model length of {_INT}", re.I),
        "tokens,max",
    ),
)

# Overflow wordings that carry no numbers.
_OVERFLOW_WORDS = re.compile(
    r"context[_ ]length[_ ]exceeded"
    r"|exceeds? the available context size"
    r"|greater than the context length"
    r"|exceeds? (?:the )?(?:maximum )?context (?:length|window|size)"
    r"|input length exceeds"
    r"|prompt (?:is )?too long"
    r"|maximum context length",
    re.I,
)

# Whole words only where a short word could hide inside another: "oom" is not "zoom" or "room",
# and "out of memory" is not "layout of memory". "failed to load model" is absent on purpose: a
# 404 for a missing model says it too.
_OOM_WORDS = re.compile(
    # out of memory, out-of-memory, VK_ERROR_OUT_OF_DEVICE_MEMORY, out of host memory (CUDA,
    # Vulkan, Level Zero, MPS) and the CamelCase codes: torch OutOfMemoryError, hipErrorOutOfMemory,
    # Metal kIOGPUCommandBufferCallbackErrorOutOfMemory, Vulkan ErrorOutOfDeviceMemory.
    r"(?<![a-z])out[ _-]of[ _-](?:device[ _-]|host[ _-])?memory|outof(?:device|host)?memory"
    r"|\boom(?:killed)?\b"
    # llama.cpp / ggml: "cudaMalloc failed", "failed to allocate CUDA0 buffer", "unable to allocate
    # CUDA0 buffer"; Ollama: "memory layout cannot be allocated"; ENOMEM "Cannot allocate memory".
    r"|cudamalloc failed|hipmalloc failed|(?:failed|unable) to allocate|cannot allocate memory"
    r"|memory layout cannot be allocated|allocation failed"
    # CUDA runtime and cuBLAS error codes.
    r"|cudaerrormemoryallocation|cublas_status_alloc_failed"
    # Ollama, LM Studio, Metal ("Insufficient Memory (00000008:...)").
    r"|not enough memory|insufficient (?:system )?(?:memory|resources)|requires more system memory"
    r"|resource limitations"
    # vLLM at start-up: "No available memory for the cache blocks", "larger than the available KV
    # cache memory".
    r"|no available memory|available kv cache memory",
    re.I,
)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def parse_context_overflow(message: str) -> tuple[int | None, int | None] | None:
    """``(tokens, maximum)`` if ``message`` reports a context overflow, else ``None``.

    Either number is ``None`` when the wording does not state it (LM Studio's "greater than
    the context length", OpenAI's bare ``context_length_exceeded``). ``tokens`` counts what
    was requested in total (prompt plus requested output where the backend says both), so
    ``tokens > maximum`` holds whenever both are known.
    """
    for pattern, reading in _OVERFLOW_PATTERNS:
        match = pattern.search(message)
        if match is None:
            continue
        groups = [_number(group) for group in match.groups()]
        if reading == "tokens,max":
            return groups[0], groups[1]
        if reading == "sum2,max3":
            return groups[0] + groups[1], groups[2]
        return groups[1], groups[0]
    if _OVERFLOW_WORDS.search(message):
        return None, None
    return None


def looks_like_out_of_memory(message: str) -> bool:
    """Whether ``message`` reports a memory failure; ``oom`` counts only as a whole word (not "zoom")."""
    return _OOM_WORDS.search(message) is not None


def _decoded(body: bytes | str | Mapping[str, Any] | None) -> Any:
    """The JSON value of ``body``, or its text when it is not JSON."""
    if not isinstance(body, bytes | str):
        return body
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def extract_error_message(body: bytes | str | Mapping[str, Any] | None) -> str:
    """The human message inside an upstream error body, whatever its shape.

    Understands ``{"error": {"message"}}`` (OpenAI, llama.cpp, vLLM, Anthropic's envelope),
    ``{"error": "..."}`` (Ollama native), ``{"message"}``, ``{"detail"}``; falls back to the
    body text itself, stripped.
    """
    payload = _decoded(body)
    if payload is None:
        return ""
    if not isinstance(payload, Mapping):
        return str(payload).strip()
    error = payload.get("error")
    candidates = (
        error.get("message") if isinstance(error, Mapping) else error,
        payload.get("message"),
        payload.get("detail"),
    )
    for candidate in candidates:
        if isinstance(candidate, str):
            return candidate
    return json.dumps(payload, ensure_ascii=False)


def _error_fields(body: bytes | str | Mapping[str, Any] | None) -> Mapping[str, Any]:
    payload = _decoded(body)
    if isinstance(payload, Mapping):
        error = payload.get("error")
        if isinstance(error, Mapping):
            return error
    return {}


def _overflow_from(message: str, fields: Mapping[str, Any], *, provider: str) -> ContextOverflow | None:
    parsed = parse_context_overflow(message)
    flagged = (
        fields.get("code") == "context_length_exceeded" or fields.get("type") == "exceed_context_size_error"
    )
    if parsed is None and not flagged:
        return None
    tokens, maximum = parsed if parsed is not None else (None, None)
    # llama.cpp states the numbers as fields beside an older wording without them.
    if tokens is None and isinstance(fields.get("n_prompt_tokens"), int):
        tokens = fields["n_prompt_tokens"]
    if maximum is None and isinstance(fields.get("n_ctx"), int):
        maximum = fields["n_ctx"]
    return ContextOverflow(message, provider=provider, tokens=tokens, maximum=maximum)


def upstream_error_from_response(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    provider: str,
    retry_after: float | None = None,
) -> UpstreamError:
    """Classify an HTTP error answer: context overflow, out of memory, or a plain HTTP error."""
    message = extract_error_message(body) or f"upstream answered HTTP {status}"
    overflow = _overflow_from(message, _error_fields(body), provider=provider)
    if overflow is not None:
        return overflow
    if looks_like_out_of_memory(message):
        return UpstreamOutOfMemory(message, provider=provider)
    return UpstreamHTTPError(message, provider=provider, upstream_status=status, retry_after=retry_after)


def upstream_error_from_stream_payload(payload: Mapping[str, Any], *, provider: str) -> UpstreamError | None:
    """The error an upstream reported inside a stream, or ``None`` for an ordinary event.

    Recognises an OpenAI-style ``{"error": ...}`` chunk and an Anthropic ``error`` event
    (LM Studio reports context overflow this way, with HTTP 200). Whether the failure may still
    be retried elsewhere depends on whether bytes reached the client; the caller decides.
    """
    if "error" not in payload or payload.get("type") not in (None, "error"):
        return None
    message = extract_error_message(payload) or "the upstream reported an error mid-stream"
    overflow = _overflow_from(message, _error_fields(payload), provider=provider)
    if overflow is not None:
        return overflow
    if looks_like_out_of_memory(message):
        return UpstreamOutOfMemory(message, provider=provider)
    failure = MidStreamFailure(message, provider=provider)
    # Claude Code retries an overloaded or rate-limited stream; keep the upstream's verdict for it.
    error_type = _error_fields(payload).get("type")
    if error_type == "overloaded_error":
        failure.status, failure.kind = 529, "overloaded"
    elif error_type == "rate_limit_error":
        failure.status, failure.kind = 429, "rate_limit"
    return failure
