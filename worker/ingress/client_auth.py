"""Who is calling: the client key of a team gateway, checked on every API request.

Keys are required as soon as any key was ever created (revoking every key does not open the
gateway), unless the operator chose ``supervisor.auth: none``. The key table is read through a
cache of at most :data:`KEYS_TTL_S`, so a key added or revoked with the CLI is honoured by every
worker within a second. The presented key is compared by its SHA-256 with ``hmac.compare_digest``;
it is never logged and never forwarded (adapters send only the provider's own key).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass

from coderouter_supervisor.state import ClientKey, StateBackend, StateError
from coderouter_supervisor.worker.errors import AuthenticationFailed, PermissionDenied
from coderouter_supervisor.worker.telemetry import emit_event

KEYS_TTL_S = 0.5


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The client's credential: ``x-api-key`` (Anthropic SDK, Claude Code), ``Authorization: Bearer``,
    or the password of ``Authorization: Basic`` (a browser opening the dashboard)."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return token.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


@dataclass
class _Cached:
    keys: list[ClientKey]
    read_at: float


class KeyRing:
    """This worker's view of the key table. ``auth_off`` is ``supervisor.auth: none``."""

    def __init__(self, store: StateBackend, *, auth_off: bool) -> None:
        self._store = store
        self._auth_off = auth_off
        self._cached: _Cached | None = None

    async def _keys(self) -> list[ClientKey]:
        cached = self._cached
        if cached is not None and time.monotonic() - cached.read_at < KEYS_TTL_S:
            return cached.keys
        try:
            keys = await self._store.read_keys()
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

    async def authorize_admin(
        self, headers: Mapping[str, str], client_host: str | None, *, strict: bool
    ) -> None:
        """Admin pages (metrics, status, dashboard): loopback callers pass unless ``strict``; anyone
        else needs an active admin key. Raises :class:`AuthenticationFailed` or :class:`PermissionDenied`."""
        if not strict and is_loopback(client_host):
            return
        if presented_key(headers) is None:
            raise AuthenticationFailed("admin pages need an admin key (keys add NAME --admin)")
        keys = await self._keys()
        digest = key_hash(presented_key(headers) or "")
        for key in keys:
            if hmac.compare_digest(key.key_hash, digest) and key.active:
                if not key.admin:
                    raise PermissionDenied(f"client key {key.name!r} is not an admin key")
                return
        raise AuthenticationFailed("unknown or revoked admin key")


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (an address, ``[::1]`` or ``localhost``) is this machine's loopback."""
    if not host:
        return False
    bare = host.strip("[]").lower()
    if bare == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False
