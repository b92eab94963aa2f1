"""What the gateway needs to know about one upstream kind (the API a provider serves), whatever
protocol the client speaks: where requests go, with which headers, how a stream is asked for, and
where the upstream reports usage. One module-level object per kind; :mod:`..adapters` registers them.
"""

from __future__ import annotations

from typing import Any, Protocol

from coderouter_supervisor.worker.config import ProviderConfig, ProviderKind
from coderouter_supervisor.worker.providers import ProviderCall
from coderouter_supervisor.worker.translate import UsageReport

PROFILE_FIELD = "profile"
"""The CodeRouter-only request field naming a profile: it never goes upstream."""


def with_extra_body(body: dict[str, Any], provider: ProviderConfig) -> dict[str, Any]:
    """``body`` over the provider's ``extra_body``: a field the request sets wins."""
    extra = {k: v for k, v in provider.extra_body.items() if k != "anthropic_version"}
    return {**extra, **body}


class UpstreamKind(Protocol):
    @property
    def name(self) -> ProviderKind: ...

    @property
    def answers_choices(self) -> bool:
        """Whether the upstream writes several answers when asked (OpenAI ``n``), each billed."""

    @property
    def counts_tokens(self) -> bool:
        """Whether the upstream counts a request's input tokens (Anthropic's ``count_tokens``)."""

    def endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        """The URL of the model call and the headers (the provider's own key among them)."""

    def models_endpoint(self, call: ProviderCall) -> tuple[str, dict[str, str]]:
        """The URL listing the provider's models, and the headers."""

    def as_stream(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` asking for a stream that reports its usage."""

    def as_whole_answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` asking for one whole answer."""

    def reported_usage(self, payload: dict[str, Any]) -> UsageReport:
        """The usage a whole answer reports (:data:`NO_USAGE` when it reports none readable)."""
