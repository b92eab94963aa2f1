"""Identifiers the Responses API uses: ``resp_…`` for a response, ``msg_…``/``fc_…``/``rs_…`` for
output items. Like ``ids``, an upstream id is kept (re-prefixed where needed) so logs on both sides
line up; a fresh random id is made only when there is none.
"""

from __future__ import annotations

import re
import secrets
from typing import Literal

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")

ItemKind = Literal["message", "function_call", "reasoning"]
_ITEM_PREFIX: dict[ItemKind, str] = {"message": "msg_", "function_call": "fc_", "reasoning": "rs_"}


def response_id(upstream_id: str | None) -> str:
    """A ``resp_`` id, from the upstream's message or completion id when there is one."""
    if not upstream_id:
        return f"resp_{secrets.token_hex(12)}"
    return upstream_id if upstream_id.startswith("resp_") else f"resp_{_UNSAFE.sub('_', upstream_id)}"


def item_id(kind: ItemKind) -> str:
    """A fresh id for an output item of ``kind``."""
    return f"{_ITEM_PREFIX[kind]}{secrets.token_hex(12)}"
