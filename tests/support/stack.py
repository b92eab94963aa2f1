"""A gateway in front of two fake upstreams: an OpenAI-compatible one and an Anthropic one.

Profile ``local`` (the default) routes to the OpenAI-compatible fake, ``local-responses`` to the
same fake's Responses API (``kind: openai_responses``), profile ``claude`` to the Anthropic
fake, ``local-then-claude`` tries the first and falls back to the second; the ``-tuned`` profiles use
providers with ``append_system_prompt``, ``extra_body`` and (local) output filters. Tests pick a
profile with the ``X-CodeRouter-Profile`` header and queue the upstream's answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anthropic
import openai

from support.configs import providers_yaml
from support.fake_upstream import FakeUpstream
from support.gateway_process import Gateway, start_gateway

PROVIDER_KEY = "sk-provider-secret-0123456789"
CLIENT_KEY = "sk-client-key-should-never-go-upstream"


@dataclass
class Stack:
    gateway: Gateway
    local: FakeUpstream
    claude: FakeUpstream
    # Every SDK client handed out, closed with the stack so no socket is left to the garbage collector
    # (an unclosed one surfaces later as a ResourceWarning in an unrelated test).
    clients: list[anthropic.Anthropic | openai.OpenAI] = field(default_factory=list)

    def anthropic_client(self, profile: str = "local", **kwargs: object) -> anthropic.Anthropic:
        client = anthropic.Anthropic(
            base_url=self.gateway.base_url,
            api_key=CLIENT_KEY,
            default_headers={"x-coderouter-profile": profile},
            max_retries=0,
            **kwargs,  # type: ignore[arg-type]
        )
        self.clients.append(client)
        return client

    def openai_client(self, profile: str = "local", **kwargs: object) -> openai.OpenAI:
        client = openai.OpenAI(
            base_url=f"{self.gateway.base_url}/v1",
            api_key=CLIENT_KEY,
            default_headers={"x-coderouter-profile": profile},
            max_retries=0,
            **kwargs,  # type: ignore[arg-type]
        )
        self.clients.append(client)
        return client

    def close_clients(self) -> None:
        while self.clients:
            self.clients.pop().close()

    def upstream(self, profile: str) -> FakeUpstream:
        return self.local if profile.startswith("local") else self.claude


@contextmanager
def running_stack(tmp_path: Path, **gateway_options: object) -> Iterator[Stack]:
    with FakeUpstream("qwen-fake") as local, FakeUpstream("claude-fake") as claude:
        config = providers_yaml(
            [
                {"name": "ollama", "base_url": local.openai_base_url, "model": "qwen-fake", "timeout_s": 60},
                {
                    "name": "anthropic-direct",
                    "kind": "anthropic",
                    "base_url": claude.anthropic_base_url,
                    "model": "claude-fake",
                    "api_key_env": "FAKE_ANTHROPIC_KEY",
                    "timeout_s": 60,
                },
                {
                    "name": "openai-responses",
                    "kind": "openai_responses",
                    "base_url": local.openai_base_url,
                    "model": "gpt-fake-codex",
                    "api_key_env": "FAKE_OPENAI_KEY",
                    "timeout_s": 60,
                },
                {
                    "name": "ollama-tuned",
                    "base_url": local.openai_base_url,
                    "model": "qwen-tuned",
                    "append_system_prompt": "Answer in English.",
                    "extra_body": {"options": {"num_ctx": 16384}, "keep_alive": "10m"},
                    "output_filters": ["strip_thinking", "strip_stop_markers"],
                    "capabilities": {"thinking": True, "reasoning_control": "openai"},
                },
                {
                    "name": "anthropic-tuned",
                    "kind": "anthropic",
                    "base_url": claude.anthropic_base_url,
                    "model": "claude-tuned",
                    "append_system_prompt": "Answer in English.",
                    "extra_body": {"service_tier": "standard_only"},
                },
            ],
            {
                "local": ["ollama"],
                "claude": ["anthropic-direct"],
                "local-then-claude": ["ollama", "anthropic-direct"],
                "local-tuned": ["ollama-tuned"],
                "local-responses": ["openai-responses"],
                "claude-tuned": ["anthropic-tuned"],
            },
        )
        gateway = start_gateway(
            tmp_path,
            config_text=config,
            env={"FAKE_ANTHROPIC_KEY": PROVIDER_KEY, "FAKE_OPENAI_KEY": PROVIDER_KEY},
            **gateway_options,  # type: ignore[arg-type]
        )
        stack = Stack(gateway, local, claude)
        try:
            yield stack
        finally:
            stack.close_clients()
            gateway.shut_down()
