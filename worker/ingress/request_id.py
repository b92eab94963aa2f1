"""Every client request gets an id: the caller's ``X-Request-Id`` when it is sane, else a new one.

The front door (:mod:`.front_door`) returns it as ``x-request-id`` and sets it in
:data:`~coderouter_supervisor.worker.telemetry.events.current_request_id`, so every event logged
while serving the request (and in tasks it starts) carries it.
"""

from __future__ import annotations

import re
import uuid

# Ids end up in logs: accept only short tokens that cannot forge a line or a field.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            if _SANE_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex
