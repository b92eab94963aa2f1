"""How many input tokens a request body holds: an honest estimate, and a true upper bound.

Both walk every piece of text a model would read (system, message text, tool definitions,
tool calls' input, tool results, thinking); images count a flat amount instead of their
base64 bytes.

:func:`estimate_tokens` assumes about four characters per token. It answers ``count_tokens``
when no Anthropic upstream can, and is ``input_tokens`` in ``message_start`` before an
upstream reports real usage.

:func:`input_token_bound` is what budget holds reserve: one token per UTF-8 byte, which no
script or language can outrun (byte-level BPE tokenizers emit at most one token per byte;
CJK takes three bytes a character and emoji four, where real tokenizers spend one or two
tokens), plus the special tokens a chat template adds per message and per request, and each
image at the most a provider may bill for one (:data:`IMAGE_TOKEN_CEILING`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_CHARS_PER_TOKEN = 4
# Anthropic bills an image by its size (about width x height / 750 tokens); a typical
# screenshot lands near this, and the size is unknown without decoding it.
_IMAGE_TOKENS = 1600
_PER_MESSAGE_TOKENS = 3
_STRUCTURED_KEYS = frozenset({"input", "input_schema", "parameters", "arguments"})
_SKIPPED_KEYS = frozenset({"role", "type", "id", "tool_use_id", "cache_control", "signature", "media_type"})
_IMAGE_TYPES = ("image", "image_url", "input_image", "document")

# Role markers and separators a chat template wraps around each message (OpenAI's own
# counting recipe adds 3 to 4 per message; Llama 3 and Qwen templates 4 to 5), with margin.
_BOUND_PER_MESSAGE_TOKENS = 8
# Start and end-of-prompt tokens, and the assistant turn's opening.
_BOUND_PER_REQUEST_TOKENS = 16
# Anthropic adds a tool-use system prompt whenever tools are given (346 tokens for current
# models with tool_choice auto, per its tool-use pricing table); OpenAI-compatible templates
# wrap tool schemas in instructions of a similar size.
_BOUND_TOOL_PROMPT_TOKENS = 1000
# Bytes of fields a model never reads as text: types, cache markers, thinking signatures
# (opaque to the model), media types. Ids and names stay counted: templates render them.
_BOUND_SKIPPED_KEYS = frozenset({"role", "type", "cache_control", "signature", "media_type"})

IMAGE_TOKEN_CEILING = {
    # Anthropic: about width x height / 750 tokens, images beyond about 1.15 megapixels are
    # scaled down first, which caps one image near 1,600 tokens.
    "anthropic": 1_600,
    # OpenAI high detail: the image is fitted into 2048 x 2048, its short side scaled to 768,
    # then billed per 512 px tile: at most 8 tiles. gpt-4o-mini bills 2,833 + 5,667 per tile,
    # the most of any documented model (gpt-4o: 85 + 170 per tile).
    "openai_compat": 2_833 + 8 * 5_667,
    "openai_responses": 2_833 + 8 * 5_667,  # the same OpenAI models, billed the same way
}


@dataclass(frozen=True)
class InputBound:
    """The most input tokens a request can be billed: ``text_tokens`` plus each of ``images``
    at its provider's :data:`IMAGE_TOKEN_CEILING`."""

    text_tokens: int
    images: int = 0

    def tokens_for(self, kind: str) -> int:
        """The bound on a provider of ``kind`` (``anthropic`` or ``openai_compat``)."""
        return self.text_tokens + self.images * IMAGE_TOKEN_CEILING[kind]


def _utf8_bytes(text: str) -> int:
    if text.isascii():  # a flag on the str: no copy of a long text
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _measure(value: Any, size: Callable[[str], int], skipped: frozenset[str]) -> tuple[int, int]:
    """(size of the text, number of images) in a JSON value; structured fields as compact JSON."""
    if isinstance(value, str):
        return size(value), 0
    if isinstance(value, list):
        total = images = 0
        for item in value:
            t, i = _measure(item, size, skipped)
            total, images = total + t, images + i
        return total, images
    if isinstance(value, dict):
        if value.get("type") in _IMAGE_TYPES:
            return 0, 1
        total = images = 0
        for key, item in value.items():
            if key in skipped:
                continue
            structured = key in _STRUCTURED_KEYS and not isinstance(item, str)
            text = json.dumps(item, separators=(",", ":"), ensure_ascii=False) if structured else item
            t, i = _measure(text, size, skipped)
            total, images = total + t, images + i
        return total, images
    if isinstance(value, bool) or value is None:
        return 0, 0
    return size(str(value)), 0


def _message_count(body: dict[str, Any]) -> int:
    messages = body.get("messages")
    return len(messages) if isinstance(messages, list) else 0


def estimate_tokens(body: dict[str, Any]) -> int:
    """Estimated input tokens of an Anthropic or OpenAI request body (as sent on the wire)."""
    parts = {key: body[key] for key in ("system", "messages", "tools", "functions") if key in body}
    chars, images = _measure(parts, len, _SKIPPED_KEYS)
    return -(-chars // _CHARS_PER_TOKEN) + images * _IMAGE_TOKENS + _message_count(body) * _PER_MESSAGE_TOKENS


def input_token_bound(body: dict[str, Any], *, extra_text: str = "") -> InputBound:
    """The most input tokens an Anthropic, OpenAI or Responses request body can be billed, on any model.

    ``extra_text`` is text the gateway adds (a provider's ``append_system_prompt``). A
    document (PDF) counts its data's bytes and one image ceiling per document.
    """
    read = (
        *("system", "messages", "instructions", "input", "tools", "functions", "tool_choice"),
        *("response_format", "output_config"),
    )
    parts = {key: body[key] for key in read if key in body}
    text, images = _measure(parts, _utf8_bytes, _BOUND_SKIPPED_KEYS)
    text += _documents_bytes(body.get("messages"))
    overhead = _BOUND_PER_REQUEST_TOKENS + _message_count(body) * _BOUND_PER_MESSAGE_TOKENS
    if body.get("tools") or body.get("functions"):
        overhead += _BOUND_TOOL_PROMPT_TOKENS
    return InputBound(text + _utf8_bytes(extra_text) + overhead, images)


def _documents_bytes(value: Any) -> int:
    """Bytes of every document's data (a document also counts as one image)."""
    if isinstance(value, list):
        return sum(_documents_bytes(item) for item in value)
    if not isinstance(value, dict):
        return 0
    if value.get("type") == "document":
        source = value.get("source")
        data = source.get("data") if isinstance(source, dict) else None
        return _measure(data, _utf8_bytes, _BOUND_SKIPPED_KEYS)[0] if data is not None else 0
    return sum(_documents_bytes(item) for item in value.values())
