"""What an OpenAI-compatible upstream accepts, as far as request translation cares.

Built by the provider layer from the provider's config and capabilities; translation only
reads it. Defaults suit local servers (Ollama, LM Studio, llama.cpp, vLLM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ReasoningControl = Literal["none", "reasoning_effort", "openrouter", "chat_template_kwargs"]
"""How the upstream is told to think: not at all, OpenAI/Ollama ``reasoning_effort``,
OpenRouter ``reasoning: {...}``, or vLLM/llama.cpp ``chat_template_kwargs.enable_thinking``."""


@dataclass(frozen=True)
class OpenAITarget:
    """Request-shaping facts about one OpenAI-compatible upstream.

    ``max_tokens_cap`` clamps the output budget (Claude Code asks for 32k-64k; many models
    allow less). ``max_tokens_field`` is ``max_completion_tokens`` for o-series/GPT-5.
    ``replay_reasoning`` sends earlier thinking back as ``reasoning_content`` (DeepSeek's
    thinking mode refuses tool turns without it). ``fold_system_messages`` moves
    mid-conversation system messages into the leading one, because strict chat templates
    (Qwen 3 on llama.cpp) fail with HTTP 500 on a system message that is not first.
    ``send_top_k`` is off by default: api.openai.com rejects unknown parameters.
    """

    model: str
    max_tokens_cap: int | None = None
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    reasoning_control: ReasoningControl = "none"
    replay_reasoning: bool = False
    fold_system_messages: bool = True
    send_top_k: bool = False
    stream_usage: bool = True
