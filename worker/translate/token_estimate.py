"""An honest token estimate without a tokenizer: about four characters per token.

Counts every piece of text a model would read (system, message text, tool definitions,
tool calls' input, tool results, thinking); images count a flat amount instead of their
base64 bytes. Used for ``count_tokens`` when no Anthropic upstream can answer it, and as
``input_tokens`` in ``message_start`` before an upstream reports real usage.
"""

from __future__ import annotations

import json
from typing import Any

_CHARS_PER_TOKEN = 4
# Anthropic bills an image by its size (about width x height / 750 tokens); a typical
# screenshot lands near this, and the size is unknown without decoding it.
_IMAGE_TOKENS = 1600
_PER_MESSAGE_TOKENS = 3
_STRUCTURED_KEYS = frozenset({"input", "input_schema", "parameters", "arguments"})
_SKIPPED_KEYS = frozenset({"role", "type", "id", "tool_use_id", "cache_control", "signature", "media_type"})


def _characters(value: Any) -> tuple[int, int]:
    """(characters of text, number of images) in a JSON value."""
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, list):
        chars = images = 0
        for item in value:
            c, i = _characters(item)
            chars, images = chars + c, images + i
        return chars, images
    if isinstance(value, dict):
        if value.get("type") in ("image", "image_url", "input_image", "document"):
            return 0, 1
        chars = images = 0
        for key, item in value.items():
            if key in _SKIPPED_KEYS:
                continue
            structured = key in _STRUCTURED_KEYS and not isinstance(item, str)
            c, i = _characters(json.dumps(item, separators=(",", ":")) if structured else item)
            chars, images = chars + c, images + i
        return chars, images
    if isinstance(value, bool) or value is None:
        return 0, 0
    return len(str(value)), 0


def estimate_tokens(body: dict[str, Any]) -> int:
    """Estimated input tokens of an Anthropic or OpenAI request body (as sent on the wire)."""
    parts = {key: body[key] for key in ("system", "messages", "tools", "functions") if key in body}
    chars, images = _characters(parts)
    messages = body.get("messages")
    count = len(messages) if isinstance(messages, list) else 0
    return -(-chars // _CHARS_PER_TOKEN) + images * _IMAGE_TOKENS + count * _PER_MESSAGE_TOKENS
