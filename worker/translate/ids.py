"""Identifiers each protocol expects: ``msg_…``, ``toolu_…`` / ``call_…``, ``chatcmpl-…``.

An upstream id is kept (re-prefixed where the protocol expects a prefix) so logs on both
sides line up; a fresh random id is made only when the upstream sent none.
"""

from __future__ import annotations

import re
import secrets

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _fresh(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


def anthropic_message_id(upstream_id: str | None) -> str:
    """A ``msg_`` id, from the upstream id when there is one."""
    if not upstream_id:
        return _fresh("msg_")
    return upstream_id if upstream_id.startswith("msg_") else f"msg_{_UNSAFE.sub('_', upstream_id)}"


def tool_use_id(upstream_id: str | None) -> str:
    """An id valid for a ``tool_use`` block (``^[A-Za-z0-9_-]+$``)."""
    if not upstream_id:
        return _fresh("toolu_")
    return _UNSAFE.sub("_", upstream_id)


def tool_call_id(upstream_id: str | None) -> str:
    """An id for an OpenAI tool call; Anthropic ids are valid as they are."""
    return upstream_id or _fresh("call_")


def completion_id(upstream_id: str | None) -> str:
    """A ``chatcmpl-`` id for an OpenAI response, from an Anthropic ``msg_`` id when given."""
    if not upstream_id:
        return _fresh("chatcmpl-")
    return upstream_id if upstream_id.startswith("chatcmpl-") else f"chatcmpl-{upstream_id}"
