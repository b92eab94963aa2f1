"""Upstream URLs and headers for each provider kind."""

from __future__ import annotations

from coderouter_supervisor.worker.providers.call import DEFAULT_ANTHROPIC_VERSION, ProviderCall


def openai_chat_url(base_url: str) -> str:
    """``base_url`` already ends in ``/v1`` (or the server's equivalent) for OpenAI-compatible servers."""
    return base_url.rstrip("/") + "/chat/completions"


def openai_responses_url(base_url: str) -> str:
    """The Responses API beside chat completions, under the same ``/v1`` base."""
    return base_url.rstrip("/") + "/responses"


def _anthropic_root(base_url: str) -> str:
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def anthropic_messages_url(base_url: str) -> str:
    """Anthropic base URLs are written with or without ``/v1``; both mean the same server."""
    return _anthropic_root(base_url) + "/v1/messages"


def anthropic_count_tokens_url(base_url: str) -> str:
    return _anthropic_root(base_url) + "/v1/messages/count_tokens"


def openai_models_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/models"


def anthropic_models_url(base_url: str) -> str:
    return _anthropic_root(base_url) + "/v1/models"


def ollama_show_url(base_url: str) -> str:
    """Ollama's native model details, beside its OpenAI-compatible ``/v1``."""
    return _anthropic_root(base_url) + "/api/show"


def openai_headers(call: ProviderCall) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if call.api_key:
        headers["authorization"] = f"Bearer {call.api_key}"
    return headers


def anthropic_headers(call: ProviderCall) -> dict[str, str]:
    extra_version = call.provider.extra_body.get("anthropic_version")
    version = call.anthropic_version or (extra_version if isinstance(extra_version, str) else None)
    headers = {
        "content-type": "application/json",
        "anthropic-version": version or DEFAULT_ANTHROPIC_VERSION,
    }
    if call.api_key:
        headers["x-api-key"] = call.api_key
    if call.anthropic_beta:
        headers["anthropic-beta"] = call.anthropic_beta
    return headers
