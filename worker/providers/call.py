"""One attempt's parameters: which provider, under which profile, with which credentials."""

from __future__ import annotations

from dataclasses import dataclass

from coderouter_supervisor.worker.config import DEFAULT_MAX_UPSTREAM_ANSWER_MIB, ProfileConfig, ProviderConfig

# The Anthropic API version sent when neither the client nor the provider names one.
DEFAULT_ANTHROPIC_VERSION = "2023-06-01"


@dataclass(frozen=True)
class ProviderCall:
    """What an adapter needs to send one request to one provider.

    ``api_key`` is the provider's own key, read from its ``api_key_env`` for this request
    (so a rotated key applies without restart); the client's credential is never here.
    ``drop_thinking``: the provider cannot think, so a thinking request is removed, not failed.
    ``max_answer_bytes`` bounds what is read into memory of its answer (a whole JSON answer, or
    one event of a stream).
    """

    provider: ProviderConfig
    profile: ProfileConfig
    api_key: str | None
    anthropic_beta: str | None = None
    anthropic_version: str | None = None
    drop_thinking: bool = False
    first_token_timeout_s: float | None = None
    max_answer_bytes: int = DEFAULT_MAX_UPSTREAM_ANSWER_MIB * 1024 * 1024

    @property
    def name(self) -> str:
        return self.provider.name

    @property
    def timeout_s(self) -> float:
        return self.profile.timeout_s if self.profile.timeout_s is not None else self.provider.timeout_s

    @property
    def system_suffix(self) -> str | None:
        """Text appended to the system prompt: the profile's, else the provider's ("" clears)."""
        suffix = self.profile.append_system_prompt
        if suffix is None:
            suffix = self.provider.append_system_prompt
        return suffix or None
