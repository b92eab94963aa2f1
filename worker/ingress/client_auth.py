"""Who is calling: the client key of a team gateway, checked on every API request.

Keys are required as soon as any key was ever created (revoking every key does not open the
gateway), unless the operator chose ``supervisor.auth: none``. The key table is read through a
cache of at most :data:`KEYS_TTL_S`, so a key added or revoked with the CLI is honoured by every
worker within a second. The presented key is compared by its SHA-256 with ``hmac.compare_digest``;
it is never logged and never forwarded (adapters send only the provider's own key).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

from coderouter_supervisor.state import ClientKey, StateError, StateStore
from coderouter_supervisor.worker.errors import AuthenticationFailed
from coderouter_supervisor.worker.telemetry import emit_event

KEYS_TTL_S = 0.5


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The client's credential: ``x-api-key`` (Anthropic SDK, Claude Code) or ``Authorization: Bearer``."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


@dataclass
class _Cached:
    keys: list[ClientKey]
    read_at: float


class KeyRing:
    """This worker's view of the key table. ``auth_off`` is ``supervisor.auth: none``."""

    def __init__(self, store: StateStore, *, auth_off: bool) -> None:
        self._store = store
        self._auth_off = auth_off
        self._cached: _Cached | None = None

    async def _keys(self) -> list[ClientKey]:
        cached = self._cached
        if cached is not None and time.monotonic() - cached.read_at < KEYS_TTL_S:
            return cached.keys
        try:
            keys = await self._store.client_keys()
        except StateError as exc:
            if cached is None:
                # Fail closed: without the table nobody can be told apart.
                raise AuthenticationFailed("the gateway cannot read its client keys right now") from exc
            emit_event("client-keys-unreadable", "error", error=str(exc))
            return cached.keys
        self._cached = _Cached(keys, time.monotonic())
        return keys

    async def authenticate(self, headers: Mapping[str, str]) -> ClientKey | None:
        """The caller's key; None when the gateway runs without keys. Raises :class:`AuthenticationFailed`."""
        if self._auth_off:
            return None
        keys = await self._keys()
        if not keys:
            return None
        presented = presented_key(headers)
        if presented is None:
            raise AuthenticationFailed(
                "this gateway needs a client key: send it as x-api-key or Authorization: Bearer "
                "(ANTHROPIC_API_KEY for Claude Code, api_key for the OpenAI SDK)"
            )
        digest = key_hash(presented)
        for key in keys:
            if hmac.compare_digest(key.key_hash, digest):
                if not key.active:
                    raise AuthenticationFailed(f"client key {key.name!r} was revoked")
                return key
        raise AuthenticationFailed("unknown client key")
