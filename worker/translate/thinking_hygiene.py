"""Keep thinking that Anthropic did not sign away from Anthropic.

Thinking synthesized from another backend's reasoning carries an empty signature; Anthropic
rejects a conversation containing it (a modified or unsigned thinking block is a 400).
"""

from __future__ import annotations

from coderouter_supervisor.worker.protocol import MessageParam, MessagesRequest, TextBlock, ThinkingBlock


def _is_unsigned(block: object) -> bool:
    return isinstance(block, ThinkingBlock) and not block.signature


def strip_unsigned_thinking(request: MessagesRequest) -> MessagesRequest:
    """A copy of ``request`` without unsigned thinking blocks; ``request`` itself is unchanged.

    A turn left empty keeps one empty text block rather than vanishing, so turn order holds.
    """
    if not any(
        _is_unsigned(block)
        for message in request.messages
        if isinstance(message.content, list)
        for block in message.content
    ):
        return request
    messages: list[MessageParam] = []
    for message in request.messages:
        if isinstance(message.content, str):
            messages.append(message)
            continue
        kept = [block for block in message.content if not _is_unsigned(block)]
        messages.append(message.model_copy(update={"content": kept or [TextBlock(type="text", text="")]}))
    return request.model_copy(update={"messages": messages})
