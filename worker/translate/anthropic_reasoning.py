"""Anthropic thinking carried through a Responses client in ``encrypted_content``.

With thinking on, Anthropic refuses a tool-use turn whose assistant message lost its signed
thinking blocks. A Responses client (Codex asks for ``include: ["reasoning.encrypted_content"]``)
replays each reasoning item's ``encrypted_content`` verbatim, so a thinking block (its text and
signature) or a redacted one (its data) is packed there under :data:`ANTHROPIC_REASONING_PREFIX`
and unpacked when the conversation goes back to an Anthropic upstream. The prefix marks the blob
as ours: OpenAI's own encrypted reasoning is never unpacked, and ours must never reach an
``openai_responses`` upstream (:func:`is_anthropic_reasoning` tells the caller which to drop).
"""

from __future__ import annotations

import base64
import binascii
import json

from coderouter_supervisor.worker.protocol import (
    ReasoningItem,
    RedactedThinkingBlock,
    ResponsesRequest,
    ThinkingBlock,
)

ANTHROPIC_REASONING_PREFIX = "coderouter-anthropic-thinking:"


def pack_thinking(block: ThinkingBlock | RedactedThinkingBlock) -> str | None:
    """The ``encrypted_content`` for ``block``; None for synthesized thinking (no signature)."""
    if isinstance(block, RedactedThinkingBlock):
        fields = {"data": block.data}
    elif block.signature:
        fields = {"thinking": block.thinking, "signature": block.signature}
    else:
        return None
    packed = base64.urlsafe_b64encode(json.dumps(fields, ensure_ascii=False).encode()).decode()
    return ANTHROPIC_REASONING_PREFIX + packed


def is_anthropic_reasoning(item: ReasoningItem) -> bool:
    return bool(item.encrypted_content and item.encrypted_content.startswith(ANTHROPIC_REASONING_PREFIX))


def unpack_thinking(item: ReasoningItem) -> ThinkingBlock | RedactedThinkingBlock | None:
    """The Anthropic block packed in ``item``; None when it holds none (or a damaged or unsigned one)."""
    if not is_anthropic_reasoning(item):
        return None
    packed = (item.encrypted_content or "").removeprefix(ANTHROPIC_REASONING_PREFIX)
    try:
        fields = json.loads(base64.urlsafe_b64decode(packed.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(fields, dict):
        return None
    if isinstance(fields.get("data"), str):
        return RedactedThinkingBlock(type="redacted_thinking", data=fields["data"])
    # Thinking without a signature was not Anthropic's: it would be refused (a 400), never replayed.
    thinking, signature = fields.get("thinking"), fields.get("signature")
    if isinstance(thinking, str) and isinstance(signature, str) and signature:
        return ThinkingBlock(type="thinking", thinking=thinking, signature=signature)
    return None


def without_anthropic_reasoning(request: ResponsesRequest) -> ResponsesRequest:
    """``request`` without the reasoning items packed here, for an ``openai_responses`` upstream
    (it would refuse content it cannot decrypt); the request itself is left unchanged."""
    if not isinstance(request.input, list):
        return request
    kept = [
        item
        for item in request.input
        if not (isinstance(item, ReasoningItem) and is_anthropic_reasoning(item))
    ]
    if len(kept) == len(request.input):
        return request
    copy = request.model_copy()
    copy.input = kept
    return copy
