"""The protocol table: one object per client protocol, per upstream kind, and per pair of them.

Everything that depends on which protocol a client speaks or which API a provider serves is
looked up here, once, by name; no other code branches on those names. A new client protocol is a
:class:`ClientProtocol` module, one :class:`ProtocolAdapter` module per upstream kind it can be
served by, and their rows below.
"""

from __future__ import annotations

from coderouter_supervisor.worker.adapters.anthropic_client import ANTHROPIC
from coderouter_supervisor.worker.adapters.anthropic_on_anthropic import ANTHROPIC_ON_ANTHROPIC
from coderouter_supervisor.worker.adapters.anthropic_on_openai_compat import ANTHROPIC_ON_OPENAI_COMPAT
from coderouter_supervisor.worker.adapters.anthropic_on_openai_responses import ANTHROPIC_ON_OPENAI_RESPONSES
from coderouter_supervisor.worker.adapters.anthropic_upstream import ANTHROPIC_UPSTREAM
from coderouter_supervisor.worker.adapters.client_protocol import ClientName, ClientProtocol
from coderouter_supervisor.worker.adapters.exchange import Completion, ProtocolAdapter
from coderouter_supervisor.worker.adapters.openai_client import OPENAI
from coderouter_supervisor.worker.adapters.openai_compat_upstream import OPENAI_COMPAT_UPSTREAM
from coderouter_supervisor.worker.adapters.openai_on_anthropic import OPENAI_ON_ANTHROPIC
from coderouter_supervisor.worker.adapters.openai_on_openai_compat import OPENAI_ON_OPENAI_COMPAT
from coderouter_supervisor.worker.adapters.openai_on_openai_responses import OPENAI_ON_OPENAI_RESPONSES
from coderouter_supervisor.worker.adapters.openai_responses_upstream import OPENAI_RESPONSES_UPSTREAM
from coderouter_supervisor.worker.adapters.responses_client import RESPONSES
from coderouter_supervisor.worker.adapters.responses_on_anthropic import RESPONSES_ON_ANTHROPIC
from coderouter_supervisor.worker.adapters.responses_on_openai_compat import RESPONSES_ON_OPENAI_COMPAT
from coderouter_supervisor.worker.adapters.responses_on_openai_responses import RESPONSES_ON_OPENAI_RESPONSES
from coderouter_supervisor.worker.adapters.upstream_kind import UpstreamKind
from coderouter_supervisor.worker.config import ProviderKind

CLIENT_PROTOCOLS: dict[ClientName, ClientProtocol] = {p.name: p for p in (ANTHROPIC, OPENAI, RESPONSES)}

UPSTREAM_KINDS: dict[ProviderKind, UpstreamKind] = {
    k.name: k for k in (ANTHROPIC_UPSTREAM, OPENAI_COMPAT_UPSTREAM, OPENAI_RESPONSES_UPSTREAM)
}

CHOICE_ANSWERING_KINDS: frozenset[ProviderKind] = frozenset(
    name for name, kind in UPSTREAM_KINDS.items() if kind.answers_choices
)
"""The upstream kinds that write (and bill) every choice a request asks for."""

ADAPTERS: dict[tuple[ClientName, ProviderKind], ProtocolAdapter] = {
    (a.client.name, a.upstream.name): a
    for a in (
        ANTHROPIC_ON_ANTHROPIC,
        ANTHROPIC_ON_OPENAI_COMPAT,
        ANTHROPIC_ON_OPENAI_RESPONSES,
        OPENAI_ON_ANTHROPIC,
        OPENAI_ON_OPENAI_COMPAT,
        OPENAI_ON_OPENAI_RESPONSES,
        RESPONSES_ON_ANTHROPIC,
        RESPONSES_ON_OPENAI_COMPAT,
        RESPONSES_ON_OPENAI_RESPONSES,
    )
}

DEFAULT_CLIENT: ClientProtocol = OPENAI
"""The envelope for an answer to a caller that did not say which protocol it speaks: the shape most
clients understand."""


def adapter_for(client: ClientName, upstream: ProviderKind) -> ProtocolAdapter:
    """The adapter serving ``client`` requests from an ``upstream`` provider (every pair is served)."""
    return ADAPTERS[client, upstream]


def passthrough_adapter(upstream: ProviderKind) -> ProtocolAdapter:
    """The adapter for clients that speak ``upstream``'s own protocol (every kind has one)."""
    return next(a for (_, kind), a in ADAPTERS.items() if kind == upstream and a.passthrough)


def model_call_protocol(path: str) -> ClientProtocol | None:
    """The protocol whose model call ``path`` is (any prefix), or None for every other path."""
    for protocol in CLIENT_PROTOCOLS.values():
        if path.endswith(protocol.call_path):
            return protocol
    return None


__all__ = [
    "ADAPTERS",
    "ANTHROPIC",
    "CHOICE_ANSWERING_KINDS",
    "CLIENT_PROTOCOLS",
    "DEFAULT_CLIENT",
    "OPENAI",
    "RESPONSES",
    "UPSTREAM_KINDS",
    "ClientName",
    "ClientProtocol",
    "Completion",
    "ProtocolAdapter",
    "UpstreamKind",
    "adapter_for",
    "model_call_protocol",
    "passthrough_adapter",
]
